/* bench-codec: why the wire codec is a compact binary format and not
 * GVariant.  Encodes and decodes the two messages of the hot path (a SEQ
 * carrying one 16-byte multicast, and an ACK) both ways and prints bytes per
 * message and nanoseconds per encode+decode (median of 5 runs).
 *
 *   meson test -C build --benchmark bench-codec -v     (or run it directly)
 */
#include "grp-codec.h"

#include <stdio.h>

#define N 200000
#define RUNS 5

static GVariant *
seq_to_variant (const GrpMsg *m)
{
  GVariantBuilder entries;

  g_variant_builder_init (&entries, G_VARIANT_TYPE ("a(ttyttay)"));
  for (guint i = 0; i < m->seq.entries->len; i++)
    {
      GrpEntry *e = g_ptr_array_index (m->seq.entries, i);
      gsize len;
      const void *p = grp_entry_get_data (e, &len);

      g_variant_builder_add (&entries, "(ttytt@ay)", e->seq, e->view_id, (guchar) e->kind,
                             e->origin, e->ctr,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, p, len, 1));
    }
  return g_variant_new ("(yyttttxa(ttyttay))", 1, (guchar) m->type, m->from, m->view, m->seq.stable,
                        (guint64) 0, m->seq.stamp, &entries);
}

static GrpMsg *
seq_from_variant (GVariant *v)
{
  guchar version, type, kind;
  guint64 from, view, stable, unused, seq, view_id, origin, ctr;
  gint64 stamp;
  GVariantIter *iter;
  GVariant *payload;
  GrpMsg *m;

  g_variant_get (v, "(yyttttxa(ttyttay))", &version, &type, &from, &view, &stable, &unused,
                 &stamp, &iter);
  m = grp_msg_new (type, from, view);
  m->seq.stable = stable;
  m->seq.stamp = stamp;
  while (g_variant_iter_next (iter, "(ttytt@ay)", &seq, &view_id, &kind, &origin, &ctr, &payload))
    {
      gsize len;
      const void *p = g_variant_get_fixed_array (payload, &len, 1);
      g_autoptr(GBytes) b = g_bytes_new (p, len);
      g_autoptr(GrpEntry) e = grp_entry_new_data (seq, view_id, origin, ctr, b);

      grp_msg_add_entry (m, e);
      g_variant_unref (payload);
    }
  g_variant_iter_free (iter);
  return m;
}

static GVariant *
ack_to_variant (const GrpMsg *m)
{
  return g_variant_new ("(yyttttxb)", 1, (guchar) m->type, m->from, m->view, m->ack.recv_upto,
                        (guint64) 0, m->ack.stamp, m->ack.has_state);
}

static GrpMsg *
ack_from_variant (GVariant *v)
{
  guchar version, type;
  guint64 from, view, recv, unused;
  gint64 stamp;
  gboolean has_state;
  GrpMsg *m;

  g_variant_get (v, "(yyttttxb)", &version, &type, &from, &view, &recv, &unused, &stamp,
                 &has_state);
  m = grp_msg_new (type, from, view);
  m->ack.recv_upto = recv;
  m->ack.stamp = stamp;
  m->ack.has_state = has_state;
  return m;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v)
{
  qsort (v, RUNS, sizeof *v, cmp_double);
  return v[RUNS / 2];
}

static void
measure (const char *what, GrpMsg *m, GVariant *(*to) (const GrpMsg *),
         GrpMsg *(*from) (GVariant *))
{
  double bin[RUNS], var[RUNS];
  gsize bin_bytes = 0, var_bytes = 0;

  for (int r = 0; r < RUNS; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      for (int i = 0; i < N; i++)
        {
          GByteArray *buf = g_byte_array_sized_new (64);
          GrpFrameKind kind;
          GrpMsg *out = NULL;
          GrpMember hello = { 0 };

          grp_codec_append_msg (buf, m);
          bin_bytes = buf->len;
          if (!grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &out, &hello, NULL, NULL, NULL))
            g_error ("binary round trip failed");
          grp_msg_unref (out);
          g_byte_array_unref (buf);
        }
      bin[r] = (g_get_monotonic_time () - t0) * 1000.0 / N;

      t0 = g_get_monotonic_time ();
      for (int i = 0; i < N; i++)
        {
          GVariant *v = g_variant_ref_sink (to (m));
          GBytes *wire = g_variant_get_data_as_bytes (v);
          GVariant *back = g_variant_ref_sink (g_variant_new_from_bytes (g_variant_get_type (v),
                                                                         wire, FALSE));
          GrpMsg *out = from (back);

          var_bytes = g_bytes_get_size (wire) + 4; /* with the same length header */
          grp_msg_unref (out);
          g_variant_unref (back);
          g_bytes_unref (wire);
          g_variant_unref (v);
        }
      var[r] = (g_get_monotonic_time () - t0) * 1000.0 / N;
    }
  printf ("| %-22s | %4zu B | %6.0f ns | %4zu B | %6.0f ns | %4.1fx |\n", what, bin_bytes,
          median (bin), var_bytes, median (var), median (var) / median (bin));
}

int
main (void)
{
  g_autoptr(GBytes) payload = g_bytes_new ("0123456789abcdef", 16);
  g_autoptr(GrpEntry) e = grp_entry_new_data (123456, 17, 0x5eed5eed5eedULL, 4242, payload);
  g_autoptr(GrpMsg) seq = grp_msg_new (GRP_MSG_SEQ, 0xabcdef0123ULL, 17);
  g_autoptr(GrpMsg) ack = grp_msg_new (GRP_MSG_ACK, 0xabcdef0123ULL, 17);

  seq->seq.stable = 123400;
  seq->seq.stamp = 987654321000;
  grp_msg_add_entry (seq, e);
  ack->ack.recv_upto = 123456;
  ack->ack.stamp = 987654321000;
  ack->ack.has_state = TRUE;

  printf ("| message                | binary | enc+dec   | GVariant | enc+dec   | ratio |\n");
  printf ("|------------------------|--------|-----------|----------|-----------|-------|\n");
  measure ("SEQ, one 16 B multicast", seq, seq_to_variant, seq_from_variant);
  measure ("ACK", ack, ack_to_variant, ack_from_variant);
  return 0;
}
