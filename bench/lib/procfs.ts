/** CPU and memory of processes the driver does not control over IPC (the Temporal server), from /proc. */
import fs from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system, ms) and RSS (bytes) of a process, or undefined off Linux / if gone. */
export function readProc(pid: number): { cpuMs: number; rssBytes: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND, rssBytes: rssPages * 4096 };
  } catch {
    return undefined;
  }
}

/** The machine, for the report. */
export function machine(): { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string; loadavg: number[] } {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** RSS split from /proc/<pid>/status: anonymous (heaps, malloc) vs file-backed (binary, shared libraries), bytes. */
export function readRssSplit(pid: number): { anonBytes: number; fileBytes: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const anonBytes = kb('RssAnon');
    const fileBytes = kb('RssFile');
    return Number.isNaN(anonBytes) ? undefined : { anonBytes, fileBytes };
  } catch {
    return undefined;
  }
}
