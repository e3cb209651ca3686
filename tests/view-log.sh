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

# NAME's last multicast is delivered in LOG (to NAME), or its incarnation
# ended before: once quiet, nothing of NAME's is still on its way.  (A
# member that went quiet may still have a multicast in flight -- over a
# slow link, or to a leader that a loaded machine has not scheduled yet --
# and the others, stopped at one position before it came, would leave
# without it: a correct run, but not one that ends together.)
own_delivered_in() { # log name
  # (A leader delivers its own multicast before its "send" line.)
  awk -v me="\"from\":\"$2\"" '
    /"ev":"send"/ { match ($0, /"id":[0-9]+/); last = substr ($0, RSTART, RLENGTH) }
    /"ev":"deliver"/ && index ($0, me) { match ($0, /"id":[0-9]+/)
                                          seen[substr ($0, RSTART, RLENGTH)] = 1 }
    /"ev":"(excluded|crash)"/ { ended = last }
    END { exit !(last == "" || (last in seen) || ended == last) }' "$1"
}

# The members named (logs DIR/NAME.log), told to go quiet, can be stopped
# for groupy-check --same-end: each logged "quiet" (every one: grep -q over
# their logs together is content with one), each one's last multicast is
# delivered, and their last deliveries are at one position.
ended_together() { # dir names...
  local dir=$1 m s first=""
  shift
  for m in "$@"; do
    grep -q '"ev":"quiet"' "$dir/$m.log" && own_delivered_in "$dir/$m.log" "$m" || return 1
  done
  for m in "$@"; do
    s=$(grep '"ev":"deliver"' "$dir/$m.log" | tail -n 1 | grep -o '"seq":[0-9]*') || return 1
    [ -z "$first" ] && first=$s
    [ "$s" = "$first" ] || return 1
  done
}
