/* grp-about.c: the About window. */
#include "config.h"

#include "grp-about.h"

#include <adwaita.h>
#include <glib/gi18n.h>

void
grp_show_about (GtkWindow *parent)
{
  const char *developers[] = { "The Groupy developers", NULL };
  GtkWidget *about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                                   "transient-for", parent,
                                   "application-icon", APPLICATION_ID,
                                   "application-name", _("Groupy"),
                                   "developer-name", "The Groupy developers",
                                   "version", PACKAGE_VERSION,
                                   "comments", _("Group membership with totally ordered "
                                                 "multicast: every member shows the color "
                                                 "its group agreed on, through crashes, "
                                                 "false suspicions and joins."),
                                   "license-type", GTK_LICENSE_MIT_X11,
                                   "developers", developers,
                                   /* TRANSLATORS: your name, shown in the About window */
                                   "translator-credits", _("translator-credits"),
                                   NULL);

  gtk_window_present (GTK_WINDOW (about));
}
