#!/bin/sh
# Creates (if missing) and migrates Temporal's two PostgreSQL databases to the schema the server
# version expects. Run by docker-compose.yml (the `temporal-schema` one-shot, in the admin-tools
# image) and by src/devtools/cluster.ts (`npm run cluster`, the cluster tests): the same steps
# everywhere. Idempotent: on an up-to-date database every step is a no-op.
#
# Environment: SQL_TOOL (temporal-sql-tool), SCHEMA_DIR (the server's schema/ directory),
# PG_HOST, PG_PORT, PG_USER, PG_PASSWORD, DBNAME, VISIBILITY_DBNAME.
set -eu

tool() {
  "$SQL_TOOL" --plugin postgres12 --ep "$PG_HOST" -p "$PG_PORT" -u "$PG_USER" --pw "$PG_PASSWORD" "$@"
}

migrate() {
  db="$1"
  dir="$2"
  # `create` fails when the database exists; a second run must go on to the update.
  tool --db "$db" create 2>/dev/null || echo "setup-schema: database $db exists"
  # Version 0.0 creates the schema_version bookkeeping only; on an existing schema it is refused
  # ("table already exists"), which is fine: update-schema brings it to the newest version.
  tool --db "$db" setup-schema -v 0.0 2>/dev/null || echo "setup-schema: $db already initialised"
  tool --db "$db" update-schema -d "$SCHEMA_DIR/postgresql/v12/$dir/versioned"
}

migrate "$DBNAME" temporal
migrate "$VISIBILITY_DBNAME" visibility
echo "setup-schema: $DBNAME and $VISIBILITY_DBNAME are at the newest schema"
