# Sourced by the scripts that need an X server: start_xvfb WxH starts a
# private Xvfb of that size and exports DISPLAY; its pid is in $xvfb (the
# caller kills it).  The display number is drawn at random from a high
# range, and the server answering is checked to be ours (its screen size):
# X clients try the abstract socket of a display number first, and a server
# of another sandbox on the same machine may hold that one.
start_xvfb() {
  local size=$1 n tries
  for tries in $(seq 1 20); do
    n=$(( 200 + RANDOM % 700 ))
    [ -e "/tmp/.X11-unix/X$n" ] && continue
    # -noreset: by default the server resets when its last client goes,
    # and the check below is a client: a program connecting during that
    # reset (longer on a loaded machine) "cannot open a display".
    Xvfb ":$n" -screen 0 "${size}x24" -nolisten tcp -nolisten local -noreset \
      > "$work/xvfb.log" 2>&1 &
    xvfb=$!
    for _ in $(seq 1 100); do
      [ -S "/tmp/.X11-unix/X$n" ] && break
      kill -0 "$xvfb" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$xvfb" 2>/dev/null && [ -S "/tmp/.X11-unix/X$n" ] &&
       [ "$(DISPLAY=":$n" xdotool getdisplaygeometry 2>/dev/null | tr ' ' x)" = "$size" ]; then
      export DISPLAY=":$n"
      unset DBUS_SESSION_BUS_ADDRESS WAYLAND_DISPLAY
      # Software GL costs a loaded machine far more than cairo for the same
      # pixels.
      export GSK_RENDERER=${GSK_RENDERER:-cairo}
      return 0
    fi
    kill "$xvfb" 2>/dev/null || true
    wait "$xvfb" 2>/dev/null || true
    xvfb=""
  done
  echo "could not start a private Xvfb"; cat "$work/xvfb.log"
  return 1
}
