# Sourced by the shell tests that read a worker's event log (--log FILE).

# The last view in LOG lists exactly the members named (in any order).
last_view_has() { # log members...
  local log=$1; shift
  local view
  view=$(grep '"ev":"view"' "$log" | tail -n 1)
  for m in "$@"; do
    case "$view" in *"\"$m\""*) ;; *) return 1 ;; esac
  done
  [ "$(grep -o '"members":\[[^]]*\]' <<<"$view" | tr ',' '\n' | wc -l)" -eq $# ]
}
