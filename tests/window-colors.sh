# Sourced by the GUI tests: the color a window shows and the color its log
# says, each as RRGGBB.
last_color() { # log -> RRGGBB of the last delivery
  grep '"ev":"deliver"' "$1" | tail -n 1 |
    sed 's/.*"color":\[\([0-9]*\),\([0-9]*\),\([0-9]*\)\].*/\1 \2 \3/' |
    { read -r r g b; printf '%02X%02X%02X' "$r" "$g" "$b"; }
}
pixel() { # window -> RRGGBB at a spot of the color area (the stage's margin, right, middle)
  local geo w h
  geo=$(xdotool getwindowgeometry "$1" | sed -n 's/.*Geometry: //p')
  w=${geo%x*}; h=${geo#*x}
  import -window "$1" -crop "1x1+$((w - 10))+$((h / 2))" txt:- 2>/dev/null |
    sed -n 's/.*srgb(\([0-9]*\),\([0-9]*\),\([0-9]*\)).*/\1 \2 \3/p' |
    { read -r r g b; printf '%02X%02X%02X' "$r" "$g" "$b"; }
}
