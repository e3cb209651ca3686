/* fake-cm.c: says, as GNOME's window manager does on X11, that a
 * compositing manager runs (it owns _NET_WM_CM_S0) and that it knows
 * _GTK_FRAME_EXTENTS, and does nothing else.  GTK then draws each window's
 * shadow inside its X window, as under GNOME, where the member windows were
 * placed by their X windows' corners, a shadow's width past the screen's
 * edges; under a bare Xvfb GTK draws no shadow and the X window is what is
 * seen (tests/test-layout.sh).  No compositor runs, so the shadows show
 * opaque: the test reads geometry, not pixels, there.  Runs until killed.
 *   fake-cm */
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <unistd.h>

int
main (void)
{
  Display *d = XOpenDisplay (NULL);
  Window root, w;
  Atom check, supported[2];

  if (d == NULL)
    {
      fprintf (stderr, "fake-cm: cannot open the display\n");
      return 1;
    }
  root = DefaultRootWindow (d);
  w = XCreateSimpleWindow (d, root, -10, -10, 1, 1, 0, 0, 0);
  check = XInternAtom (d, "_NET_SUPPORTING_WM_CHECK", False);
  supported[0] = XInternAtom (d, "_GTK_FRAME_EXTENTS", False);
  supported[1] = XInternAtom (d, "_NET_WM_NAME", False);
  XChangeProperty (d, root, check, XA_WINDOW, 32, PropModeReplace, (unsigned char *) &w, 1);
  XChangeProperty (d, w, check, XA_WINDOW, 32, PropModeReplace, (unsigned char *) &w, 1);
  XChangeProperty (d, w, supported[1], XInternAtom (d, "UTF8_STRING", False), 8, PropModeReplace,
                   (unsigned char *) "fake-cm", 7);
  XChangeProperty (d, root, XInternAtom (d, "_NET_SUPPORTED", False), XA_ATOM, 32,
                   PropModeReplace, (unsigned char *) supported, 2);
  XSetSelectionOwner (d, XInternAtom (d, "_NET_WM_CM_S0", False), w, CurrentTime);
  XSync (d, False);
  /* Ready: the test waits for this line. */
  printf ("ready\n");
  fflush (stdout);
  for (;;)
    pause ();
}
