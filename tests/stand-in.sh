# Sourced by tests/test-demo.sh and tests/test-console-signals.sh: stand-ins
# for groupy-node, cheap and scripted, for what a real worker does rarely.
#
#   stand_in_node FILE BEFORE [AFTER-VIEW [AFTER]]
#
# writes FILE (executable): a stand-in that reads its options (--name,
# --log, --join), runs BEFORE, logs a view of its own, runs AFTER-VIEW,
# says it listens, then runs AFTER (by default it waits for good).
stand_in_node() {
  local file=$1 before=$2 after_view=${3:-} after=${4:-'while :; do sleep 1; done'}
  cat > "$file" <<'WORKER'
#!/bin/sh
join=
while [ $# -gt 0 ]; do
  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; --join) join=$2; shift ;; esac
  shift
done
WORKER
  printf '%s\n' "$before" >> "$file"
  cat >> "$file" <<'WORKER'
printf '{"ev":"view","view":1,"leader":"%s","members":["%s"],"t":1}\n' "$name" "$name" > "$log"
WORKER
  printf '%s\n' "$after_view" >> "$file"
  cat >> "$file" <<'WORKER'
echo "$name listening on 127.0.0.1:9"
WORKER
  printf '%s\n' "$after" >> "$file"
  chmod +x "$file"
}
