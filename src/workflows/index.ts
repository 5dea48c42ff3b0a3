/** Every workflow the worker registers. One file per case type; shared machinery beside them. */
export * from './self-test';
