#!/bin/bash
# groupy-demo tells the group's story in a terminal (the console's timeline,
# in text).  Three headless workers:
# 1. w3 frozen past the suspicion timeout leaves the view, and the story
#    says why, as its peers saw it ("went silent" or "left out"), not
#    "(gone)"; it rejoins.
# 2. With w1 frozen and w2 killed, no member can admit w2's replacement
#    (w3 alone has no quorum): the story gives its reason, not only that it
#    failed.
# 3. The workers' own messages (w3's "the group went on without us") go to
#    their .err files beside their logs, never into the story.
# 4. Ctrl-C ends the workers (each leaves by itself: none is killed for not
#    leaving) and groupy-check finds the logs agree.  They leave one at a
#    time, each through a view of those that stay (all at once, nobody
#    would stay to install one, and each would wait out its leave timeout);
#    the Ctrl-C of a terminal reaches the demo alone, not its workers.
set -euo pipefail
demo=$1

work=$(mktemp -d)
dpid=
cleanup() {
  [ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null || true
  pkill -9 -f -- "$work/logs/" 2>/dev/null || true
  pkill -9 -f -- "$work/logs6/" 2>/dev/null || true
  pkill -9 -f -- "$work/logs7/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin2/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin3/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin4/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin5/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin6/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin7/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin8/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin9/" 2>/dev/null || true
  pkill -9 -f -- "$work/bin10/" 2>/dev/null || true
  pkill -9 -f -- "$work/logs11/" 2>/dev/null || true
  pkill -9 -f -- "$work/logs12/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/wait-for.sh"
. "$(dirname "$0")/stand-in.sh"

worker() { pgrep -f -- "--log $work/logs/$1.log" | head -n 1; }
says() { grep -qE "$1" "$work/story"; }
# Ctrl-C, and the demo's end once it has checked the logs.
stop_and_check() {
  kill -INT "$dpid"
  WAIT_SECONDS=30 wait_for "the demo to check the logs" says "groupy-check: "
  wait "$dpid" || true
  dpid=
}

# Each demo below starts with an empty story: a wait for its first words
# could find the last demo's words, before the new one had opened (and
# emptied) the file.
: > "$work/story"
setsid "$demo" --headless -n 3 --crash-rate 0 --sleep 200 --suspect-timeout 400 \
    --log-dir "$work/logs" --keep-logs > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "three members in view 3" says "^[0-9:]+  view 3 "

# 1. Frozen past the suspicion timeout.
w3=$(worker w3)
kill -STOP "$w3"
WAIT_SECONDS=30 wait_for "w3 to leave the view, with why" says "gone: w3 \((went silent|left out)\)"
kill -CONT "$w3"
WAIT_SECONDS=30 wait_for "w3 to rejoin" says "w3 rejoined"

# 2. A replacement that cannot join says why.
w1=$(worker w1)
kill -STOP "$w1"
kill -9 "$(worker w2)"
# Its contact is frozen w1, whose kernel takes the dial (the dial's
# deadline, 5 s, tells), or w3, which has no quorum with w1 frozen and w2
# dead (the join's deadline, 8 s, tells).  The story names the contact;
# the worker's own words give only its address.
failed="w4 could not join the group through w[13]: "
failed+="(.*accepted the connection, then said nothing|No member)"
WAIT_SECONDS=40 wait_for "w2's replacement to fail, with why" says "$failed"
kill -CONT "$w1"

# 3. Nothing of the workers' own output in the story; it is in their files.
if says "groupy-net-Message|groupy-node:"; then
  echo "a worker's message leaked into the story:"
  grep -E "groupy-net-Message|groupy-node:" "$work/story"
  exit 1
fi
grep -q "the group went on without us" "$work/logs/w3.err"

# 4. Ctrl-C: every worker leaves, and the checker reads every log.  As a
#    terminal sends it: to the demo's whole process group.
before=$(cat "$work"/logs/*.log | grep -c ':"left"' || true)
kill -INT -- "-$dpid"
WAIT_SECONDS=60 wait_for "the demo to check the logs" says "groupy-check: [0-9]+ logs agree"
wait "$dpid" || true
dpid=
# A stop ends by itself: no worker had to be killed for it.
if says "did not leave within"; then
  echo "a worker did not leave when asked:"
  grep "did not leave within" "$work/story"
  exit 1
fi
# w1 and w3 were members (w2's replacement still joining): the first of
# them to leave went through a view without it, installed by the other.
after=$(cat "$work"/logs/*.log | grep -c ':"left"' || true)
if [ "$((after - before))" -lt 1 ]; then
  echo "the workers did not leave one at a time (views with a leaver gone: $before, then $after)"
  cat "$work/story"
  exit 1
fi
cat "$work/story"

# 5. Again in the same folder: the earlier group's logs are put aside, kept,
#    and the story and the check are this group's alone (they were read as
#    this group's: crashes of members that ran, two groups checked as one).
: > "$work/story"
"$demo" --headless -n 3 --crash-rate 0 --sleep 200 --suspect-timeout 400 \
    --log-dir "$work/logs" > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "the earlier logs to be put aside" says "held an earlier group's logs"
WAIT_SECONDS=30 wait_for "three members in view 3" says "^[0-9:]+  view 3 "
kill -INT "$dpid"
WAIT_SECONDS=60 wait_for "the demo to check the logs" says "groupy-check: 3 logs agree"
wait "$dpid" || true
dpid=
ls "$work"/logs/earlier-*/w4.log > /dev/null

# 6. A log folder the workers cannot write in is refused at once, with why.
#    None of them could be started there, and the demo waited for its
#    founder for ever.  (Root writes in a folder of mode 0555: /proc/self,
#    then, which takes no new files.)
ro=$work/read-only
mkdir "$ro"
chmod 0555 "$ro"
[ "$(id -u)" = 0 ] && ro=/proc/self
status=0
timeout 20 "$demo" --headless -n 2 --log-dir "$ro" > "$work/story" 2>&1 || status=$?
if [ "$status" != 2 ] || ! says "cannot write the logs in $ro"; then
  echo "a log folder the workers cannot write in (status $status):"
  cat "$work/story"
  exit 1
fi

# 7. A founder that cannot start ends the demo, with the reason: it waited
#    for its founder until Ctrl-C, then gave groupy-check's usage (no log
#    to read) as its verdict.  It is told as what it tried, to found the
#    group: it was told "could not join", as a newcomer.  The stand-in
#    founder fails as groupy-node does when it cannot listen (beside a copy
#    of the demo, with the real checker); it marks that it ran.
mkdir -p "$work/bin6"
cp "$demo" "$work/bin6/groupy-demo"
cp "$(dirname "$demo")/../check/groupy-check" "$work/bin6/groupy-check"
cat > "$work/bin6/groupy-node" <<'WORKER'
#!/bin/sh
touch "$(dirname "$0")/started"
echo "groupy-node: could not join the group: cannot listen on 127.0.0.1:0: no address" >&2
exit 2
WORKER
chmod +x "$work/bin6/groupy-node"
status=0
timeout 20 "$work/bin6/groupy-demo" --headless -n 2 > "$work/story" 2>&1 || status=$?
if [ "$status" != 1 ] || ! says "w1 could not found the group: cannot listen on 127.0.0.1:0" ||
   ! says "the group could not be started" || ! says "no member wrote a log" || says "Usage"; then
  echo "a founder that cannot start (status $status):"
  cat "$work/story"
  exit 1
fi

# 8. The terminal closed (SIGHUP) ends the demo as Ctrl-C does: the workers
#    leave and its temporary log folder is removed.  It died at once, and
#    the folder stayed in $TMPDIR, one more each time.
mkdir "$work/tmp"
: > "$work/story"
TMPDIR=$work/tmp "$demo" --headless -n 3 --crash-rate 0 --sleep 200 > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "three members in view 3" says "^[0-9:]+  view 3 "
kill -HUP "$dpid"
WAIT_SECONDS=60 wait_for "the demo to check the logs" says "groupy-check: 3 logs agree"
status=0
wait "$dpid" || status=$?
dpid=
if [ "$status" != 0 ] || ls -d "$work"/tmp/groupy-demo-* > /dev/null 2>&1; then
  echo "SIGHUP (status $status) left the demo's log folder behind:"
  ls -R "$work/tmp"
  exit 1
fi

# 9. An option out of its range is named, with its range: every one was
#    told "at least 0", the upper bounds unsaid.  The range is the
#    workers' own: --suspect-timeout 1 to 199 (under twice their heartbeat)
#    was taken, and every worker died at its start.
for bad in "--sleep 4000000:--sleep takes 0 to 3600000, not 4000000" \
           "--color-rate 2000:--color-rate takes 0 to 1000, not 2000" \
           "--suspect-timeout 199:--suspect-timeout takes 200 to 600000, not 199" \
           "--suspect-timeout 600001:--suspect-timeout takes 200 to 600000, not 600001" \
           "--crash-rate -1:--crash-rate takes 0 to 2147483647, not -1" \
           "--windows 0:--windows takes 1 to 64, not 0"; do
  status=0
  # shellcheck disable=SC2086 # the option and its value are two words
  "$demo" --headless ${bad%%:*} > "$work/story" 2>&1 || status=$?
  if [ "$status" != 2 ] || ! grep -qF -- "groupy-demo: ${bad#*:}" "$work/story"; then
    echo "${bad%%:*} (status $status) was not told \"${bad#*:}\":"
    cat "$work/story"
    exit 1
  fi
done
#    A protocol it does not know is told before the want of a display
#    (said first, it hid the mistake in the command).
status=0
env -u DISPLAY -u WAYLAND_DISPLAY "$demo" --protocol gms5 > "$work/story" 2>&1 || status=$?
if [ "$status" != 2 ] || ! grep -qF -- 'groupy-demo: --protocol takes ' "$work/story" ||
   ! grep -qF -- 'not "gms5"' "$work/story"; then
  echo "--protocol gms5 without a display (status $status) was not told so:"
  cat "$work/story"
  exit 1
fi
# A stand-in for groupy-check at FILE: it finds every log good, and counts
# those it is given, one an argument or NUL-terminated in a file
# (--files0-from).
fake_check() {
  cat > "$1" <<'CHECK'
#!/bin/sh
if [ "$1" = --files0-from ]; then
  n=$(tr -cd '\000' < "$2" | wc -c)
else
  n=$#
fi
echo "groupy-check: OK: $n logs, 0 positions"
CHECK
  chmod +x "$1"
}

# 10. A second Ctrl-C while the members leave stops at once: those still
#     running are killed, the demo says so and ends, its temporary folder
#     removed.  The second was ignored, and the demo waited out the stop's
#     grace (30 s) for members that do not leave.  Its members here are
#     stand-ins that ignore SIGTERM, beside a copy of the demo (it takes the
#     workers it finds beside itself).
mkdir -p "$work/bin" "$work/tmp2"
cp "$demo" "$work/bin/groupy-demo"
stand_in_node "$work/bin/groupy-node" "trap '' TERM"
fake_check "$work/bin/groupy-check"
stand_ins() { pgrep -f -- "$work/bin/.*groupy-node --name" > /dev/null; }
demo_gone() { ! kill -0 "$dpid" 2>/dev/null; }
: > "$work/story"
TMPDIR=$work/tmp2 "$work/bin/groupy-demo" --headless -n 3 --crash-rate 0 --sleep 200 \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "three stand-ins" says "w3 starts and joins"
kill -INT "$dpid"
WAIT_SECONDS=10 wait_for "the stop to begin" says "stopping: the members go quiet"
kill -INT "$dpid"
WAIT_SECONDS=10 wait_for "the demo to end on a second Ctrl-C" demo_gone
status=0
wait "$dpid" || status=$?
dpid=
if [ "$status" = 0 ] || ! says "stopping at once .*w1, w2, w3 killed" || stand_ins ||
   ls -d "$work"/tmp2/groupy-demo-* > /dev/null 2>&1; then
  echo "a second Ctrl-C while stopping (status $status):"
  cat "$work/story"
  ls -R "$work/tmp2"
  pgrep -af -- "$work/bin/.*groupy-node --name" || true
  exit 1
fi
echo "ok: a second Ctrl-C stops at once"

# 11. A command written to a member whose standard input is closed (a
#     worker that has just ended, its end not yet handled) is no news: the
#     demo goes on.  SIGPIPE's default action ended the demo, without a
#     word, when the stop told such a member to crash no more.  The
#     stand-in founder here closes its standard input and stays.
mkdir -p "$work/bin3"
cp "$demo" "$work/bin3/groupy-demo"
stand_in_node "$work/bin3/groupy-node" 'exec 0<&-'
fake_check "$work/bin3/groupy-check"
: > "$work/story"
"$work/bin3/groupy-demo" --headless -n 1 --crash-rate 0 --sleep 200 --log-dir "$work/logs3" \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "the founder" says "view 1 led by w1"
kill -INT "$dpid"
WAIT_SECONDS=10 wait_for "the demo to end" demo_gone
status=0
wait "$dpid" || status=$?
dpid=
if [ "$status" != 0 ] || ! says "groupy-check: 1 logs agree"; then
  echo "a member with its standard input closed (status $status):"
  cat "$work/story"
  exit 1
fi
echo "ok: a member with its standard input closed"

# 12. The checker's command line does not grow with the logs: it had every
#     log the demo ever started a worker with, and a long session (members
#     crash and are replaced: a leader every 10 s or so at the default
#     crash rate, every second at --crash-rate 10) outgrew the kernel's
#     limit on a command line: the checker did not run ("Argument list too
#     long").  Here stand-in newcomers end as
#     soon as they start and are replaced, again and again, beside a
#     founder that stays; a small stack (ulimit -s 256: the limit is a
#     quarter of it, or 128 KiB) and a long folder name (twelve nested
#     folders, 3,000 characters) make the names of 44 logs outgrow it; 100
#     are made.  Every log is checked all the same.  (With a folder name of
#     200 characters it took 700 logs: 76 s of the 90 allowed in a
#     sanitized run on a loaded machine.)
mkdir -p "$work/bin2"
cp "$demo" "$work/bin2/groupy-demo"
stand_in_node "$work/bin2/groupy-node" "" '[ -n "$join" ] && exit 0'
fake_check "$work/bin2/groupy-check"
long=$work
for _ in $(seq 1 12); do long+=/$(printf 'x%.0s' $(seq 1 250)); done
many_logs() { [ "$(find "$long" -maxdepth 1 -name '*.log' 2>/dev/null | wc -l)" -ge 100 ]; }
: > "$work/story"
(ulimit -s 256; exec "$work/bin2/groupy-demo" --headless -n 2 --crash-rate 0 --sleep 200 \
   --log-dir "$long") > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=90 wait_for "100 logs" many_logs
kill -INT "$dpid"
WAIT_SECONDS=60 wait_for "the demo to check the logs" says "groupy-check: "
status=0
wait "$dpid" || status=$?
dpid=
logs=$(find "$long" -maxdepth 1 -name '*.log' | wc -l)
if [ "$status" != 0 ] || ! says "groupy-check: $logs logs agree"; then
  echo "the checker over $logs logs (status $status):"
  grep -E "groupy-check|checker" "$work/story"
  exit 1
fi
echo "ok: the checker read $logs logs"

# 13. A member that joins another group (the window's Join Another Group:
#     its group of one ends, and the next group's events go to FILE.2, one
#     log per group) is followed into it: the story tells the switch and the
#     new group's views, and groupy-check reads each group's logs apart
#     (together, two groups' positions disagree).  The demo read w1.log
#     alone: it told "w1 left the group", nothing more of it, and left
#     w1.log.2 behind in its folder.  The stand-in here writes what a window
#     writes: its group of one (its change delivered at position 2), then,
#     once told, the other group (x1's: the state as of #2, view 2 at 2).
mkdir -p "$work/bin4" "$work/tmp4"
cp "$demo" "$work/bin4/groupy-demo"
cp "$(dirname "$demo")/../check/groupy-check" "$work/bin4/groupy-check"
cat > "$work/bin4/groupy-node" <<'WORKER'
#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac
  shift
done
{
  echo '{"ev":"start","name":"w1","pid":1,"delivery":"agreed","t":1}'
  echo '{"ev":"view","view":1,"seq":1,"leader":"w1","members":["w1"],"color":[0,0,0],"t":2}'
  echo '{"ev":"send","id":1,"change":5,"t":3}'
  echo '{"ev":"deliver","seq":2,"from":"w1","id":1,"change":5,"color":[0,0,5],"t":4}'
} > "$log"
echo "$name listening on 127.0.0.1:9"
now=$log
trap 'echo "{\"ev\":\"exit\",\"t\":9}" >> "$now"; exit 0' TERM
while [ ! -e "$(dirname "$0")/switch" ]; do sleep 0.05; done
echo '{"ev":"exit","next":"w1.log.2","t":5}' >> "$log"
now=$log.2
{
  echo '{"ev":"start","name":"w1","pid":1,"delivery":"agreed","t":6}'
  echo '{"ev":"state","seq":2,"color":[0,0,0],"t":7}'
  echo '{"ev":"view","view":2,"seq":2,"leader":"x1","members":["x1","w1"],"color":[0,0,0],"t":8}'
} > "$now"
while :; do sleep 0.05; done
WORKER
chmod +x "$work/bin4/groupy-node"
: > "$work/story"
TMPDIR=$work/tmp4 "$work/bin4/groupy-demo" --headless -n 1 --crash-rate 0 --sleep 200 \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "the group of one" says "view 1 led by w1"
touch "$work/bin4/switch"
WAIT_SECONDS=10 wait_for "the story to tell the switch" says "w1 leaves its group of one"
WAIT_SECONDS=10 wait_for "the story to tell the new group's view" says "view 2 led by x1"
kill -INT "$dpid"
WAIT_SECONDS=30 wait_for "the demo to check the logs" says "groupy-check: "
status=0
wait "$dpid" || status=$?
dpid=
if [ "$status" != 0 ] || says "w1 left the group" || ! says "w1.log.2" ||
   ! says "groupy-check: group 1: 1 logs agree on 2 positions; group 2: 1 logs agree" ||
   ls -d "$work"/tmp4/groupy-demo-* > /dev/null 2>&1; then
  echo "a member that joined another group (status $status):"
  cat "$work/story"
  ls -R "$work/tmp4"
  exit 1
fi
echo "ok: a member that joins another group is followed"

# 14. A checker that does not end (a bug, or logs too large to read in
#     time) does not keep the stop from ending: it is killed after a bound,
#     and the verdict says so -- the logs not checked, kept to check by
#     hand -- never that they agree.  The stop waited for it for ever; only
#     a second Ctrl-C ended it.  The stand-in checker here never answers,
#     and what it started holds its output open: that is killed too, and
#     not waited for.
mkdir -p "$work/bin5" "$work/tmp5"
cp "$demo" "$work/bin5/groupy-demo"
stand_in_node "$work/bin5/groupy-node" ""
cat > "$work/bin5/groupy-check" <<'CHECK'
#!/bin/sh
(while :; do sleep 1; done) &
wait
CHECK
chmod +x "$work/bin5/groupy-check"
: > "$work/story"
TMPDIR=$work/tmp5 "$work/bin5/groupy-demo" --headless -n 2 --crash-rate 0 --sleep 200 \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "two stand-ins" says "w2 starts and joins"
kill -INT "$dpid"
WAIT_SECONDS=45 wait_for "the hanging checker to be given up" demo_gone
status=0
wait "$dpid" || status=$?
dpid=
if [ "$status" != 1 ] || ! says "groupy-check: .*did not finish within [0-9]+ s: killed" ||
   says "agree" || pgrep -f -- "$work/bin5/.*groupy-check" > /dev/null ||
   ! ls "$work"/tmp5/groupy-demo-*/w1.log > /dev/null 2>&1 || ! says "the logs are kept in"; then
  echo "a checker that does not end (status $status):"
  cat "$work/story"
  ls -R "$work/tmp5"
  pgrep -af -- "$work/bin5/.*groupy-check" || true
  exit 1
fi
echo "ok: a checker that does not end is killed, and said so"

#     A second Ctrl-C while such a checker runs ends the demo at once, what
#     the checker started too: the demo waited for the checker's output,
#     held open by its child.
checking() { pgrep -f -- "$work/bin5/.*groupy-check" > /dev/null; }
rm -rf "$work/tmp5"
mkdir "$work/tmp5"
: > "$work/story"
TMPDIR=$work/tmp5 "$work/bin5/groupy-demo" --headless -n 1 --crash-rate 0 --sleep 200 \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "the stand-in's view" says "view 1 led by w1"
kill -INT "$dpid"
WAIT_SECONDS=30 wait_for "the checker to run" checking
kill -INT "$dpid"
WAIT_SECONDS=10 wait_for "the demo to end on a second Ctrl-C" demo_gone
wait "$dpid" || true
dpid=
if checking || ! says "stopping at once"; then
  echo "a second Ctrl-C while the checker runs:"
  cat "$work/story"
  pgrep -af -- "$work/bin5/.*groupy-check" || true
  exit 1
fi
echo "ok: a second Ctrl-C while the checker runs ends it"

# 15. A secret file the workers refuse (missing, readable by others, not a
#     secret, not a file) is refused before any worker starts, in the
#     workers' own words: the demo started its founder, which died of it,
#     and the demo said so only then.  One made by groupy-node --new-secret
#     is taken (the stand-in founder of step 7 runs).
echo "not a secret" > "$work/open-secret"
chmod 0644 "$work/open-secret"
printf '# a comment\ngroupy-secret-1 c2hvcnQ=\n' > "$work/short-secret"
chmod 0600 "$work/short-secret"
for bad in "$work/no-such-secret:cannot read the secret file .*No such file" \
           "$work/open-secret:can be read by others \(mode 0644\)" \
           "$work/short-secret:is not a Groupy secret file" \
           "$work/bin6:is not a regular file"; do
  rm -f "$work/bin6/started"
  status=0
  timeout 20 "$work/bin6/groupy-demo" --headless -n 2 --secret-file "${bad%%:*}" \
    > "$work/story" 2>&1 || status=$?
  if [ "$status" != 2 ] || ! says "^groupy-demo: --secret-file ${bad%%:*}: .*${bad#*:}" ||
     [ -e "$work/bin6/started" ]; then
    echo "--secret-file ${bad%%:*} (status $status) was not refused up front, with why:"
    cat "$work/story"
    [ -e "$work/bin6/started" ] && echo "(a worker was started)"
    exit 1
  fi
done
"$(dirname "$demo")/../node/groupy-node" --new-secret "$work/good-secret" > /dev/null
rm -f "$work/bin6/started"
status=0
timeout 20 "$work/bin6/groupy-demo" --headless -n 2 --secret-file "$work/good-secret" \
  > "$work/story" 2>&1 || status=$?
if [ ! -e "$work/bin6/started" ] || says "^groupy-demo: --secret-file"; then
  echo "a good secret file was refused (status $status):"
  cat "$work/story"
  exit 1
fi
echo "ok: a bad secret file is refused before any worker starts"

# 16. A member that dies after it left its group of one to join another,
#     before its first view there, is told as such, and the demo goes on:
#     it was told as a founder that could not start ("the group could not
#     be started"), and the demo stopped by itself.  The stand-in writes
#     what a window writes up to its switch (as in step 13), starts its next
#     log, and is killed.
mkdir -p "$work/bin7" "$work/tmp7"
cp "$demo" "$work/bin7/groupy-demo"
fake_check "$work/bin7/groupy-check"
cat > "$work/bin7/groupy-node" <<'WORKER'
#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac
  shift
done
{
  echo '{"ev":"start","name":"w1","pid":1,"delivery":"agreed","t":1}'
  echo '{"ev":"view","view":1,"seq":1,"leader":"w1","members":["w1"],"color":[0,0,0],"t":2}'
} > "$log"
echo "$name listening on 127.0.0.1:9"
while [ ! -e "$(dirname "$0")/switch" ]; do sleep 0.05; done
echo '{"ev":"exit","next":"w1.log.2","t":5}' >> "$log"
echo '{"ev":"start","name":"w1","pid":1,"delivery":"agreed","t":6}' > "$log.2"
kill -9 $$
WORKER
chmod +x "$work/bin7/groupy-node"
: > "$work/story"
TMPDIR=$work/tmp7 "$work/bin7/groupy-demo" --headless -n 1 --crash-rate 0 --sleep 200 \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "the group of one" says "view 1 led by w1"
touch "$work/bin7/switch"
WAIT_SECONDS=10 wait_for "the story to tell the switch" says "w1 leaves its group of one"
WAIT_SECONDS=10 wait_for "the story to tell w1's end" says "w1 (died|was killed)"
if ! says "w1 died while joining another group" || says "could not be started" ||
   says "could not found" || says "stopping" || demo_gone; then
  echo "a member that died while joining another group:"
  cat "$work/story"
  exit 1
fi
kill -INT "$dpid"
WAIT_SECONDS=30 wait_for "the demo to check the logs" says "groupy-check: "
status=0
wait "$dpid" || status=$?
dpid=
if [ "$status" != 0 ] || ! says "groupy-check: group 1: 1 logs agree.*; group 2: 1 logs agree"; then
  echo "the check after a member died while joining another group (status $status):"
  cat "$work/story"
  exit 1
fi
echo "ok: a member that dies while joining another group is told so, and the demo goes on"

# 17. A checker killed from outside (out of memory, say) gave no verdict,
#     and the demo said none: "groupy-check: ", and nothing after it.  It
#     says how the checker ended, that the logs are not checked, and keeps
#     them.  One that says nothing gives no verdict either, whatever its
#     status.  The stand-in checkers here kill themselves, or end at once.
mkdir -p "$work/bin8"
cp "$demo" "$work/bin8/groupy-demo"
stand_in_node "$work/bin8/groupy-node" ""
for checker in 'kill -9 $$:the checker was killed \(Killed\) before its verdict; these logs' \
               'exit 0:the checker said nothing \(status 0\); these logs'; do
  printf '#!/bin/sh\n%s\n' "${checker%%:*}" > "$work/bin8/groupy-check"
  chmod +x "$work/bin8/groupy-check"
  rm -rf "$work/tmp8"
  mkdir "$work/tmp8"
  : > "$work/story"
  TMPDIR=$work/tmp8 "$work/bin8/groupy-demo" --headless -n 1 --crash-rate 0 --sleep 200 \
    > "$work/story" 2>&1 &
  dpid=$!
  WAIT_SECONDS=30 wait_for "the stand-in" says "view 1 led by w1"
  kill -INT "$dpid"
  WAIT_SECONDS=30 wait_for "the demo to end" demo_gone
  status=0
  wait "$dpid" || status=$?
  dpid=
  if [ "$status" != 1 ] || ! says "groupy-check: ${checker#*:}" ||
     ! ls "$work"/tmp8/groupy-demo-*/w1.log > /dev/null 2>&1; then
    echo "a checker that ran \"${checker%%:*}\" (status $status):"
    cat "$work/story"
    ls -R "$work/tmp8"
    exit 1
  fi
done
echo "ok: a checker killed from outside, or that says nothing, is told so"

# 18. A stop gives each member its grace from when it was asked to leave,
#     and tells of one killed that it did not leave within so long of being
#     asked.  The grace ran from the stop's beginning: members asked one
#     after another, 1.5 s apart when each does not end, were all killed at
#     once at 30 s, those never asked too, and the story said of each that
#     it "did not leave within 30 s of being asked".  And it was 30 s
#     whatever the members' times, where a leave may take three suspicion
#     timeouts: with --suspect-timeout 7000, 21 s, and the grace is that
#     and 10 s more, 31 s.  The 22 stand-ins here ignore SIGTERM; they are
#     asked w2 first, w1 (the leader) last, at 31.5 s.  A second Ctrl-C
#     after the first one killed ends the demo.
mkdir -p "$work/bin9"
cp "$demo" "$work/bin9/groupy-demo"
stand_in_node "$work/bin9/groupy-node" "trap '' TERM"
fake_check "$work/bin9/groupy-check"
: > "$work/story"
"$work/bin9/groupy-demo" --headless -n 22 --crash-rate 0 --sleep 200 --suspect-timeout 7000 \
  --log-dir "$work/logs9" > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "22 stand-ins" says "w22 starts and joins"
kill -INT "$dpid"
WAIT_SECONDS=45 wait_for "the first member killed" says "w2 did not leave within 31 s"
kill -INT "$dpid"
WAIT_SECONDS=10 wait_for "the demo to end on a second Ctrl-C" demo_gone
wait "$dpid" || true
dpid=
if says "w(1|2[0-2]) did not leave within" || ! says "stopping at once \(asked again\): w1, "; then
  echo "members killed before 31 s had passed since they were asked to leave:"
  cat "$work/story"
  exit 1
fi
echo "ok: a stop gives each member its grace from when it was asked"

# 19. "unblocked" says that a member hears a quorum again, not that it goes
#     on: a member back from a freeze hears its peers (unblocked), then
#     learns that they went on without it (excluded, in the same
#     millisecond).  The story said "w1 has a quorum again and goes on",
#     then that the group went on without it.  It tells the quorum once the
#     member goes on (a view, a delivery), and never for one left out.
mkdir -p "$work/bin10" "$work/tmp10"
cp "$demo" "$work/bin10/groupy-demo"
fake_check "$work/bin10/groupy-check"
cat > "$work/bin10/groupy-node" <<'WORKER'
#!/bin/sh
while [ $# -gt 0 ]; do
  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac
  shift
done
trap 'echo "{\"ev\":\"exit\",\"t\":20}" >> "$log"; exit 0' TERM
{
  echo '{"ev":"start","name":"w1","pid":1,"delivery":"agreed","t":1}'
  echo '{"ev":"view","view":1,"seq":1,"leader":"w1","members":["w1"],"color":[0,0,0],"t":2}'
} > "$log"
echo "$name listening on 127.0.0.1:9"
sleep 0.3
{
  echo '{"ev":"blocked","t":3}'
  echo '{"ev":"unblocked","t":4}'
  echo '{"ev":"excluded","t":4}'
  echo '{"ev":"state","seq":5,"color":[0,0,5],"t":5}'
  echo '{"ev":"view","view":3,"seq":5,"leader":"x1","members":["x1","w1"],"color":[0,0,5],"t":5}'
} >> "$log"
sleep 0.3
{
  echo '{"ev":"blocked","t":6}'
  echo '{"ev":"unblocked","t":7}'
  echo '{"ev":"deliver","seq":6,"from":"x1","id":1,"change":2,"color":[0,5,2],"t":8}'
} >> "$log"
while :; do sleep 0.05; done
WORKER
chmod +x "$work/bin10/groupy-node"
: > "$work/story"
TMPDIR=$work/tmp10 "$work/bin10/groupy-demo" --headless -n 1 --crash-rate 0 --sleep 200 \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "the member to rejoin" says "w1 rejoined"
WAIT_SECONDS=10 wait_for "the second wait to end" says "w1 has a quorum again"
stop_and_check
# Told once: after the rejoin (the second wait), not before it (the first).
if [ "$(grep -c "w1 has a quorum again and goes on" "$work/story")" != 1 ] ||
   ! seen_after "$work/story" "w1 rejoined" "w1 has a quorum again"; then
  echo "a member left out as it heard a quorum again:"
  cat "$work/story"
  exit 1
fi
echo "ok: a member left out is not said to have a quorum and go on"

# 20. Every member killed at once: the story says once that nobody is left
#     to join through.  It said so once for each member that died.
: > "$work/story"
"$demo" --headless -n 2 --crash-rate 0 --sleep 200 --log-dir "$work/logs6" \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "two members in view 2" says "^[0-9:]+  view 2 "
kill -9 $(pgrep -f -- "--log $work/logs6/w[12].log")
WAIT_SECONDS=10 wait_for "the story to say that nobody is left" says "every member is gone"
sleep 1
stop_and_check
if [ "$(grep -c "every member is gone" "$work/story")" != 1 ]; then
  echo "every member killed at once:"
  cat "$work/story"
  exit 1
fi
echo "ok: every member gone, said once"

# 21. A member killed from outside (kill -9) writes no last line: its end
#     is known when its process is reaped, and the others' view without it
#     could be told first ("view 4: w2 leads now; gone: w1 (crashed)", then
#     "w1 was killed from outside").  The demo is stopped here while the
#     others install that view, so that both wait when it runs again.
: > "$work/story"
"$demo" --headless -n 3 --crash-rate 0 --sleep 200 --log-dir "$work/logs7" \
  > "$work/story" 2>&1 &
dpid=$!
WAIT_SECONDS=30 wait_for "three members in view 3" says "^[0-9:]+  view 3 "
kill -STOP "$dpid"
w1=$(pgrep -f -- "--log $work/logs7/w1.log")
kill -9 "$w1"
view4() { grep -q '"ev":"view","view":4' "$work/logs7/w2.log"; }
WAIT_SECONDS=20 wait_for "the others' view without w1" view4
# And w1's process has ended (a zombie: its parent, the demo, is stopped):
# its sockets close before it does, and the others may see it gone while
# its end is still to come (it is not known then, nor told first).
w1_state() { awk '{ print $3 }' "/proc/$w1/stat" 2>/dev/null || echo gone; }
at_view4=$(w1_state)
w1_ended() { [ "$(w1_state)" = Z ]; }
wait_for "w1's process to end" w1_ended
kill -CONT "$dpid"
WAIT_SECONDS=10 wait_for "the story to tell the kill" says "w1 was killed from outside"
WAIT_SECONDS=10 wait_for "the story to tell view 4" says "^[0-9:]+  view 4"
stop_and_check
killed=$(grep -n "w1 was killed from outside" "$work/story" | head -1 | cut -d: -f1)
view=$(grep -nE "^[0-9:]+  view 4" "$work/story" | head -1 | cut -d: -f1)
if [ "$killed" -gt "$view" ] ||
   ! grep -qE "^[0-9:]+  view 4.*gone: w1 \(crashed\)" "$work/story"; then
  echo "a member killed from outside, told after the view without it" \
       "(its process a zombie when the demo went on; state $at_view4 at the view):"
  cat "$work/story"
  exit 1
fi
echo "ok: a member killed from outside is told before the view without it"

# 22. A stop lets the group go quiet before the first leave: every member
#     that leaves shows the group's last color.  Each left in turn while
#     the others went on changing it, and the story (and the console's
#     tiles) ended with the members at different colors: at 10 ms between
#     a member's changes, in 4 runs of 4.
# Four members changing the color every 10 ms at most, in LOGDIR; back
# once they have delivered 100 positions past the view of four.
four_changing() { # logdir
  local log=$1/w1.log
  : > "$work/story"
  "$demo" --headless -n 4 --crash-rate 0 --sleep 10 --log-dir "$1" > "$work/story" 2>&1 &
  dpid=$!
  WAIT_SECONDS=30 wait_for "four members in view 4" says "^[0-9:]+  view 4 "
  changing() {
    local view seq
    view=$(grep -m 1 '"ev":"view","view":4,' "$log" | grep -o '"seq":[0-9]*' | cut -d: -f2)
    seq=$(grep '"ev":"deliver"' "$log" | tail -n 1 | grep -o '"seq":[0-9]*' | cut -d: -f2)
    [ -n "$view" ] && [ -n "$seq" ] && [ "$seq" -ge $((view + 100)) ]
  }
  WAIT_SECONDS=30 wait_for "100 changes in the group of four" changing
}
four_changing "$work/logs11"
stop_and_check
# Each of the four that left, by its last position and color (whatever the
# order of a line's fields): one line "4 ...".  (An empty list, none matched,
# was one line too, and passed.)
ends=$(for f in "$work"/logs11/w*.log; do
         tail -n 1 "$f" | grep -q '"ev":"exit"' || continue
         grep '"ev":"deliver"' "$f" | tail -n 1 | grep -o '"seq":[0-9]*\|"color":\[[0-9,]*\]' |
           sort | paste -sd ' '
       done | sort | uniq -c)
if [ "$(wc -l <<<"$ends")" -ne 1 ] || [ "$(awk '{ print $1 }' <<<"$ends")" != 4 ] ||
   [[ "$ends" != *'"color":'*'"seq":'* ]] || ! says "groupy-check: 4 logs agree"; then
  echo "the members left at a stop at different positions (count, last color and position):"
  echo "$ends"
  cat "$work/story"
  exit 1
fi
echo "ok: a stop lets the group go quiet first: every member leaves at one color ($ends)"

# 23. A member killed while the stop waits for the group to go quiet does
#     not cut the wait short: the first leave comes once the others have
#     stayed at one position (STOP_QUIET_STABLE_MS, 300 ms), not at the
#     kill.  Its end asked the next member to leave at once: the first
#     "exit" came 20-40 ms after the first "quiet", in 4 runs of 4.
four_changing "$work/logs12"
w3=$(pgrep -f -- "--log $work/logs12/w3.log")
kill -INT "$dpid"
WAIT_SECONDS=10 wait_for "the stop to begin" says "stopping: the members go quiet"
kill -9 "$w3"
WAIT_SECONDS=30 wait_for "the demo to check the logs" says "groupy-check: "
wait "$dpid" || true
dpid=
first_t() { grep -h "\"ev\":\"$1\"" "$work"/logs12/w*.log | grep -o '"t":[0-9]*' |
              cut -d: -f2 | sort -n | head -n 1 || true; }
quiet=$(first_t quiet)
left=$(first_t exit)
if [ -z "$quiet" ] || [ -z "$left" ] || [ $((left - quiet)) -lt 200 ] ||
   ! says "groupy-check: 4 logs agree"; then
  echo "a member killed in the stop's quiet wait: the first leave" \
       "$(( ${left:-0} - ${quiet:-0} )) ms after the first quiet (quiet ${quiet:-none})"
  cat "$work/story"
  exit 1
fi
echo "ok: a member killed in the quiet wait does not cut it short (first leave" \
     "$((left - quiet)) ms after the first quiet)"

echo "ok: the story says who went and why; workers' messages stay in their files; a folder's"
echo "earlier logs are kept apart; one that cannot be written in is refused; a founder that"
echo "cannot start ends the demo; a closed terminal ends it as Ctrl-C does; an option out of"
echo "range is named with its range"
