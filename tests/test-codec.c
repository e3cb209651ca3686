/* test-codec.c: the wire codec, without sockets. */
#include "grp-codec.h"

#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static GrpView *
sample_view (void)
{
  GrpView *v = grp_view_new (7, 42, 2);

  v->members[0] = (GrpMember) { 0x1111, g_strdup ("alice"), g_strdup ("127.0.0.1:7000") };
  v->members[1] = (GrpMember) { 0x2222, g_strdup ("bob"), g_strdup ("10.0.0.2:7000") };
  v->needs_state[1] = TRUE;
  return v;
}

/* A message of `type` with every field of its kind set. */
static GrpMsg *
full_msg (GrpMsgType type)
{
  GrpMsg *m = grp_msg_new (type, 0xdeadbeefcafe, 9);
  g_autoptr(GrpView) v = sample_view ();
  g_autoptr(GBytes) p = g_bytes_new ("change", 6);
  g_autoptr(GrpEntry) d = grp_entry_new_data (41, 9, 0x1111, 3, p);
  g_autoptr(GrpEntry) ve = grp_entry_new_view (v);
  g_autoptr(GrpEntry) r1 = grp_entry_new_data (0, 9, m->from, 5, p);
  g_autoptr(GrpEntry) r2 = grp_entry_new_data (0, 9, m->from, 6, p);
  GrpSeen seen = { 0x2222, 17 };

  switch (type)
    {
    case GRP_MSG_JOIN:
      m->join.member = (GrpMember) { 0x4444, g_strdup ("carol"), g_strdup ("[::1]:7001") };
      break;
    case GRP_MSG_JOIN_REFUSED:
      m->join_refused.reason = g_strdup ("name \"taken\"");
      break;
    case GRP_MSG_REQ:
      grp_msg_add_entry (m, r1);
      grp_msg_add_entry (m, r2);
      break;
    case GRP_MSG_SEQ:
      m->seq.stable = 39;
      m->seq.stamp = -123456789;
      grp_msg_add_entry (m, d);
      grp_msg_add_entry (m, ve);
      break;
    case GRP_MSG_HB:
      m->hb.high = G_MAXUINT64;
      m->hb.stable = 39;
      m->hb.stamp = 987654321;
      break;
    case GRP_MSG_ACK:
      m->ack.recv_upto = 40;
      m->ack.has_state = TRUE;
      m->ack.stamp = 5000000;
      break;
    case GRP_MSG_NAK:
      m->nak.lo = 1;
      m->nak.hi = 300;
      break;
    case GRP_MSG_STATE:
      m->state.seq = 42;
      m->state.state = g_bytes_ref (p);
      m->state.seen = g_array_new (FALSE, FALSE, sizeof (GrpSeen));
      g_array_append_val (m->state.seen, seen);
      break;
    case GRP_MSG_PREPARE:
      m->prepare.ballot = (GrpBallot) { 3, 0x1111 };
      m->prepare.high = 40;
      m->prepare.lo = 12;
      break;
    case GRP_MSG_PROMISE:
      m->promise.ballot = (GrpBallot) { 3, 0x1111 };
      m->promise.recv_upto = 40;
      m->promise.has_state = TRUE;
      m->promise.accepted_ballot = (GrpBallot) { 2, 0x2222 };
      m->promise.accepted = grp_view_ref (v);
      {
        GrpId dead[] = { 0x3333, 0x4444 };

        m->promise.dead = g_array_new (FALSE, FALSE, sizeof (GrpId));
        g_array_append_vals (m->promise.dead, dead, 2);
      }
      grp_msg_add_entry (m, d);
      grp_msg_add_entry (m, ve);
      break;
    case GRP_MSG_REJECT:
      m->reject.ballot = (GrpBallot) { 4, 0x2222 };
      break;
    case GRP_MSG_ACCEPT:
      m->accept.ballot = (GrpBallot) { 3, 0x1111 };
      m->accept.value = grp_view_ref (v);
      grp_msg_add_entry (m, d);
      grp_msg_add_entry (m, ve);
      break;
    case GRP_MSG_ACCEPTED:
      m->accepted.ballot = (GrpBallot) { 3, 0x1111 };
      break;
    case GRP_MSG_DECIDE:
      m->decide.view = grp_view_ref (v);
      grp_msg_add_entry (m, d);
      break;
    case GRP_MSG_NOT_MEMBER:
      m->not_member.view = grp_view_ref (v);
      break;
    case GRP_MSG_NEED_VIEW:
      m->need_view.recv_upto = 77;
      break;
    default:
      break;
    }
  return m;
}

static void
assert_entry_equal (GrpEntry *a, GrpEntry *b)
{
  g_assert_cmpuint (a->seq, ==, b->seq);
  g_assert_cmpuint (a->view_id, ==, b->view_id);
  g_assert_cmpint (a->kind, ==, b->kind);
  if (a->kind == GRP_ENTRY_DATA)
    {
      g_assert_cmpuint (a->origin, ==, b->origin);
      g_assert_cmpuint (a->ctr, ==, b->ctr);
      {
        g_autoptr(GBytes) pa = grp_entry_dup_payload (a);
        g_autoptr(GBytes) pb = grp_entry_dup_payload (b);

        g_assert_true (g_bytes_equal (pa, pb));
      }
    }
  else
    g_assert_true (grp_view_equal (a->view, b->view));
}

static GrpMsg *
round_trip (const GrpMsg *m)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  GrpFrameKind kind;
  GrpMsg *out = NULL;
  GrpMember hello = { 0 };
  g_autoptr(GError) error = NULL;

  grp_codec_append_msg (buf, m);
  g_assert_cmpuint (grp_codec_frame_length (buf->data), ==, buf->len - GRP_FRAME_HEADER);
  g_assert_true (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &out, &hello, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, GRP_FRAME_MSG);
  return out;
}

/* Decoding from a GBytes: data entries keep their payloads as slices of
 * the frame (no copy each), and re-encode to the very same bytes. */
static void
encode (GByteArray *buf, const GrpMsg *m)
{
  g_byte_array_set_size (buf, 0);
  grp_codec_append_msg (buf, m);
}

/* Decoding from a GBytes: data entries keep their payloads as slices of
 * the frame (no copy each), and re-encode to the very same bytes. */
static void
test_frame_slices (void)
{
  g_autoptr(GrpMsg) m = full_msg (GRP_MSG_SEQ);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GByteArray) again = g_byte_array_new ();
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GrpMsg) out = NULL;
  g_autoptr(GError) error = NULL;
  GrpMember hello = { 0 };
  GrpFrameKind kind;
  guint data_entries = 0;
  g_autoptr(GBytes) two = g_bytes_new ("second", 6);
  g_autoptr(GrpEntry) second = grp_entry_new_data (43, 9, 0x2222, 1, two);

  grp_msg_add_entry (m, second);
  encode (buf, m);
  frame = g_bytes_new (buf->data + 4, buf->len - 4);
  g_assert_true (grp_codec_parse_bytes (frame, &kind, &out, &hello, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < out->seq.entries->len; i++)
    {
      GrpEntry *e = g_ptr_array_index (out->seq.entries, i);

      assert_entry_equal (e, g_ptr_array_index (m->seq.entries, i));
      if (e->kind != GRP_ENTRY_DATA)
        continue;
      data_entries++;
      g_assert_true (e->frame == frame);
      g_assert_null (e->payload);
    }
  g_assert_cmpuint (data_entries, >, 0);
  encode (again, out);
  g_assert_cmpmem (again->data, again->len, buf->data, buf->len);
  /* The entries outlive the message and keep the frame alive: each of
   * them, whichever goes first (they share one allocation). */
  {
    g_autoptr(GrpEntry) kept = NULL;
    g_autoptr(GrpEntry) first = NULL;

    for (guint i = 0; i < out->seq.entries->len; i++)
      if (((GrpEntry *) g_ptr_array_index (out->seq.entries, i))->kind == GRP_ENTRY_DATA)
        {
          g_clear_pointer (&kept, grp_entry_unref);
          kept = grp_entry_ref (g_ptr_array_index (out->seq.entries, i));
          if (first == NULL)
            first = grp_entry_ref (kept);
        }
    g_assert_true (first != kept);
    g_clear_pointer (&out, grp_msg_unref);
    g_clear_pointer (&frame, g_bytes_unref);
    g_assert_cmpuint (first->ctr, ==, 3);
    g_assert_cmpuint (kept->ctr, ==, 1);
    g_clear_pointer (&first, grp_entry_unref);
    {
      gsize len;
      const guint8 *p = grp_entry_get_data (kept, &len);
      g_autoptr(GBytes) copy = grp_entry_dup_payload (kept);

      g_assert_cmpuint (len, ==, g_bytes_get_size (copy));
      g_assert_cmpmem (p, len, g_bytes_get_data (copy, NULL), len);
    }
  }
}

/* A list of `n` one-byte entries of `type` (SEQ or REQ), encoded and
 * decoded from a GBytes (slices of the frame). */
static GrpMsg *
decode_list (GrpMsgType type, guint n)
{
  g_autoptr(GrpMsg) m = grp_msg_new (type, 0x1111, 9);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GError) error = NULL;
  GrpMember hello = { 0 };
  GrpFrameKind kind;
  GrpMsg *out = NULL;

  for (guint i = 0; i < n; i++)
    {
      guint8 b = (guint8) i;
      g_autoptr(GBytes) p = g_bytes_new (&b, 1);
      g_autoptr(GrpEntry) e = grp_entry_new_data (type == GRP_MSG_SEQ ? 100 + i : 0, 9, 0x1111,
                                                  1 + i, p);

      grp_msg_add_entry (m, e);
    }
  encode (buf, m);
  frame = g_bytes_new (buf->data + 4, buf->len - 4);
  g_assert_true (grp_codec_parse_bytes (frame, &kind, &out, &hello, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (grp_msg_entries (out)->len, ==, n);
  return out;
}

/* Entries of one frame's list share one allocation up to
 * GRP_ENTRY_BLOCK_MAX of them; a longer list (which a peer may pad with
 * entries the core refuses) has one per entry, so that an entry kept
 * alone holds its frame and no more.  Either way each entry is a slice of
 * the frame and outlives the message. */
static void
test_long_list_unshared (void)
{
  const GrpMsgType types[] = { GRP_MSG_SEQ, GRP_MSG_REQ };

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autoptr(GrpMsg) shared = decode_list (types[t], GRP_ENTRY_BLOCK_MAX);
      g_autoptr(GrpMsg) alone = decode_list (types[t], GRP_ENTRY_BLOCK_MAX + 1);
      GPtrArray *a = grp_msg_entries (shared), *b = grp_msg_entries (alone);
      GrpEntry *first = g_ptr_array_index (a, 0);
      g_autoptr(GrpEntry) kept = grp_entry_ref (g_ptr_array_index (b, b->len - 1));
      gsize len;
      const guint8 *p;

      g_assert_nonnull (first->block);
      for (guint i = 0; i < a->len; i++)
        g_assert_true (((GrpEntry *) g_ptr_array_index (a, i))->block == first->block);
      for (guint i = 0; i < b->len; i++)
        {
          GrpEntry *e = g_ptr_array_index (b, i);

          g_assert_null (e->block);
          g_assert_true (e->frame == ((GrpEntry *) g_ptr_array_index (b, 0))->frame);
          g_assert_cmpuint (e->ctr, ==, 1 + i);
        }
      g_clear_pointer (&alone, grp_msg_unref);
      p = grp_entry_get_data (kept, &len);
      g_assert_cmpuint (len, ==, 1);
      g_assert_cmpuint (p[0], ==, (guint8) GRP_ENTRY_BLOCK_MAX);
    }
}

/* Every kind of message survives a round trip: it re-encodes to the same
 * bytes, and the fields that matter are what was sent. */
static void
test_round_trip (void)
{
  for (GrpMsgType t = GRP_MSG_JOIN; t < GRP_MSG_LAST; t++)
    {
      g_autoptr(GrpMsg) m = full_msg (t);
      g_autoptr(GrpMsg) r = round_trip (m);
      g_autoptr(GByteArray) a = g_byte_array_new ();
      g_autoptr(GByteArray) b = g_byte_array_new ();

      g_assert_cmpint (r->type, ==, t);
      g_assert_cmpuint (r->from, ==, m->from);
      g_assert_cmpuint (r->view, ==, m->view);
      encode (a, m);
      encode (b, r);
      g_assert_cmpmem (a->data, a->len, b->data, b->len);
    }
  {
    g_autoptr(GrpMsg) m = full_msg (GRP_MSG_PROMISE);
    g_autoptr(GrpMsg) r = round_trip (m);

    g_assert_true (r->promise.has_state);
    g_assert_cmpint (grp_ballot_cmp (r->promise.accepted_ballot, m->promise.accepted_ballot),
                     ==, 0);
    g_assert_true (grp_view_equal (r->promise.accepted, m->promise.accepted));
    for (guint i = 0; i < 2; i++)
      assert_entry_equal (g_ptr_array_index (r->promise.entries, i),
                          g_ptr_array_index (m->promise.entries, i));
    g_assert_cmpmem (r->promise.dead->data, r->promise.dead->len * sizeof (GrpId),
                     m->promise.dead->data, m->promise.dead->len * sizeof (GrpId));
  }
  {
    g_autoptr(GrpMsg) m = full_msg (GRP_MSG_REQ);
    g_autoptr(GrpMsg) r = round_trip (m);
    GrpEntry *e = g_ptr_array_index (r->req.entries, 1);

    /* A request's origin is its sender, whatever it was built with. */
    g_assert_cmpuint (e->origin, ==, m->from);
    g_assert_cmpuint (e->ctr, ==, 6);
  }
  {
    g_autoptr(GrpMsg) m = full_msg (GRP_MSG_JOIN);
    g_autoptr(GrpMsg) r = round_trip (m);

    g_assert_cmpstr (r->join.member.name, ==, "carol");
    g_assert_cmpstr (r->join.member.addr, ==, "[::1]:7001");
  }
  {
    g_autoptr(GrpMsg) m = full_msg (GRP_MSG_STATE);
    g_autoptr(GrpMsg) r = round_trip (m);

    g_assert_true (g_bytes_equal (r->state.state, m->state.state));
    g_assert_cmpuint (g_array_index (r->state.seen, GrpSeen, 0).ctr, ==, 17);
  }
}

static void
test_small_messages (void)
{
  g_autoptr(GrpMsg) ack = grp_msg_new (GRP_MSG_ACK, 0x1234, 3);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GrpMsg) r = NULL;

  ack->ack.recv_upto = 1000;
  ack->ack.stamp = 5000000;
  grp_codec_append_msg (buf, ack);
  /* header 4 + version, kind, type 3 + id 8 + view 1 + 2 + 1 + 4 */
  g_assert_cmpuint (buf->len, <=, 24);
  r = round_trip (ack);
  g_assert_cmpuint (r->ack.recv_upto, ==, 1000);
  g_assert_false (r->ack.has_state);
}

static void
test_hello (void)
{
  GrpMember me = { 0x99, "dave", "127.0.0.1:9" };
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  GrpFrameKind kind;
  GrpMsg *msg = NULL;
  GrpMember hello = { 0 };
  g_autofree char *protocol = NULL;
  g_autoptr(GError) error = NULL;

  GrpHelloTiming timing = { 7, 7 };
  const GrpHelloTiming times = { 100, 2000 };
  const GrpHelloTiming bad[] = {
    { 0, 2000 }, { 100, 100 }, { 2000, 100 }, { 100, GRP_HELLO_TIMING_MAX_MS + 1 },
  };

  grp_codec_append_hello (buf, &me, "gms2", NULL);
  g_assert_true (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &msg, &hello, &protocol,
                                  &timing, &error));
  g_assert_cmpint (kind, ==, GRP_FRAME_HELLO);
  g_assert_null (msg);
  g_assert_cmpuint (hello.id, ==, 0x99);
  g_assert_cmpstr (hello.name, ==, "dave");
  g_assert_cmpstr (hello.addr, ==, "127.0.0.1:9");
  g_assert_cmpstr (protocol, ==, "gms2");
  /* Times not said read 0 and 0. */
  g_assert_cmpuint (timing.heartbeat_ms, ==, 0);
  g_assert_cmpuint (timing.suspect_ms, ==, 0);
  grp_member_clear (&hello);

  /* Times said come back; times out of their bounds (none, a suspicion no
   * longer than the heartbeat, over a day) make a malformed HELLO. */
  g_byte_array_set_size (buf, 0);
  grp_codec_append_hello (buf, &me, "groupy", &times);
  g_assert_true (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &msg, &hello, NULL, &timing,
                                  &error));
  g_assert_cmpuint (timing.heartbeat_ms, ==, 100);
  g_assert_cmpuint (timing.suspect_ms, ==, 2000);
  grp_member_clear (&hello);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_byte_array_set_size (buf, 0);
      g_clear_error (&error);
      grp_codec_append_hello (buf, &me, "groupy", &bad[i]);
      g_assert_false (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &msg, &hello, NULL,
                                       &timing, &error));
      g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
    }
  /* One time alone is cut short: malformed too. */
  g_byte_array_set_size (buf, 0);
  g_clear_error (&error);
  grp_codec_append_hello (buf, &me, "groupy", &times);
  g_byte_array_set_size (buf, buf->len - 2); /* the suspicion's two bytes */
  g_assert_false (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &msg, &hello, NULL,
                                   &timing, &error));
  g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);

  /* A HELLO must name a protocol, of a bounded length. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = i == 0 ? g_strdup ("") : g_strnfill (GRP_PROTOCOL_NAME_MAX + 1, 'g');

      g_byte_array_set_size (buf, 0);
      g_clear_error (&error);
      grp_codec_append_hello (buf, &me, name, NULL);
      g_assert_false (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &msg, &hello, NULL, NULL,
                                       &error));
      g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
    }
}

/* Every proper prefix of a valid body is refused with an error. */
static void
test_truncated (void)
{
  g_autoptr(GrpMsg) m = full_msg (GRP_MSG_PROMISE);
  g_autoptr(GByteArray) buf = g_byte_array_new ();

  grp_codec_append_msg (buf, m);
  for (gsize len = 0; len < buf->len - 4; len++)
    {
      GrpFrameKind kind;
      GrpMsg *out = NULL;
      GrpMember hello = { 0 };
      g_autoptr(GError) error = NULL;

      g_assert_false (
        grp_codec_parse (buf->data + 4, len, &kind, &out, &hello, NULL, NULL, &error));
      g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
      g_assert_null (out);
    }
}

static void
test_rejects (void)
{
  /* version, kind, type, from (8), view, then the kind's fields */
  const guint8 wrong_version[] = { GRP_WIRE_VERSION + 1, 2, 3 };
  const guint8 bad_type[] = { GRP_WIRE_VERSION, 2, 200, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 trailing[] = { GRP_WIRE_VERSION, 2, GRP_MSG_STATE_REQ, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                              0xaa };
  const guint8 seq_truncated[] = { GRP_WIRE_VERSION, 2, GRP_MSG_SEQ, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  /* an entry count far beyond the bytes that follow */
  const guint8 huge_count[] = { GRP_WIRE_VERSION, 2, GRP_MSG_SEQ, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                0x80, 0x80, 0x04, 0xff, 0xff, 0x03 };
  /* a NOT_MEMBER whose view has no members */
  const guint8 empty_view[] = { GRP_WIRE_VERSION, 2, GRP_MSG_NOT_MEMBER, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                                5, 5, 0 };
  struct { const guint8 *b; gsize n; int code; } cases[] = {
    { wrong_version, sizeof wrong_version, GRP_CODEC_ERROR_VERSION },
    { bad_type, sizeof bad_type, GRP_CODEC_ERROR_MALFORMED },
    { trailing, sizeof trailing, GRP_CODEC_ERROR_MALFORMED },
    { seq_truncated, sizeof seq_truncated, GRP_CODEC_ERROR_MALFORMED },
    { huge_count, sizeof huge_count, GRP_CODEC_ERROR_MALFORMED },
    { empty_view, sizeof empty_view, GRP_CODEC_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GrpFrameKind kind;
      GrpMsg *out = NULL;
      GrpMember hello = { 0 };
      g_autoptr(GError) error = NULL;

      g_assert_false (grp_codec_parse (cases[i].b, cases[i].n, &kind, &out, &hello, NULL, NULL,
                                       &error));
      g_assert_error (error, GRP_CODEC_ERROR, cases[i].code);
      g_assert_null (out);
    }
}

/* Random bytes, and valid frames with random bytes changed: never a crash,
 * and whatever parses re-encodes. */
static void
test_fuzz (void)
{
  g_autoptr(GrpMsg) m = full_msg (GRP_MSG_ACCEPT);
  g_autoptr(GByteArray) valid = g_byte_array_new ();
  GRand *rand = g_rand_new_with_seed (42);
  guint parsed = 0;

  grp_codec_append_msg (valid, m);
  for (guint round = 0; round < 20000; round++)
    {
      g_autoptr(GByteArray) b = g_byte_array_new ();
      GrpFrameKind kind;
      GrpMsg *out = NULL;
      GrpMember hello = { 0 };
      g_autoptr(GError) error = NULL;

      if (round % 2)
        {
          g_byte_array_append (b, valid->data + 4, valid->len - 4);
          for (guint k = 0; k < 1 + round % 4; k++)
            b->data[g_rand_int_range (rand, 0, (gint32) b->len)] = (guint8) g_rand_int (rand);
        }
      else
        for (guint k = (guint) g_rand_int_range (rand, 0, 64); k > 0; k--)
          {
            guint8 byte = (guint8) g_rand_int (rand);

            g_byte_array_append (b, &byte, 1);
          }
      if (grp_codec_parse (b->data, b->len, &kind, &out, &hello, NULL, NULL, &error))
        {
          parsed++;
          if (out != NULL)
            {
              g_autoptr(GByteArray) again = g_byte_array_new ();

              grp_codec_append_msg (again, out);
              grp_msg_unref (out);
            }
          grp_member_clear (&hello);
        }
      else
        g_assert_nonnull (error);
    }
  g_test_message ("%u of 20000 mutated frames still parsed", parsed);
  g_rand_free (rand);
}

/* BYE says whether the sender's incarnation ended or only the connection;
 * AUTH carries a proof of exactly GRP_PROOF_LEN bytes. */
static void
test_bye_auth (void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;
  guint8 proof[GRP_PROOF_LEN], back[GRP_PROOF_LEN];
  GrpByeKind kind;
  GrpFrameKind frame;

  grp_codec_append_bye (buf, GRP_BYE_ENDED, "leaving");
  g_assert_true (grp_codec_frame_kind (buf->data + 4, buf->len - 4, &frame, &error));
  g_assert_cmpint (frame, ==, GRP_FRAME_BYE);
  g_assert_true (grp_codec_parse_bye (buf->data + 4, buf->len - 4, &kind, &reason, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, GRP_BYE_ENDED);
  g_assert_cmpstr (reason, ==, "leaving");
  /* Control characters (a terminal's escapes, a forged line of the log)
   * are replaced: the reason is shown to users and written to logs, as
   * names are, and a peer that never proved anything may send it. */
  g_byte_array_set_size (buf, 0);
  g_clear_pointer (&reason, g_free);
  grp_codec_append_bye (buf, GRP_BYE_CONNECTION, "\x1b[2Jgone\n** forged line\r\x7f\tok");
  g_assert_true (grp_codec_parse_bye (buf->data + 4, buf->len - 4, &kind, &reason, &error));
  g_assert_true (g_utf8_validate (reason, -1, NULL));
  for (const char *p = reason; *p != '\0'; p = g_utf8_next_char (p))
    g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
  g_assert_nonnull (strstr (reason, "gone"));
  g_assert_nonnull (strstr (reason, "forged line"));
  /* A kind that is neither is refused. */
  buf->data[6] = 7;
  g_assert_false (grp_codec_parse_bye (buf->data + 4, buf->len - 4, &kind, &reason, &error));
  g_clear_error (&error);

  for (guint i = 0; i < GRP_PROOF_LEN; i++)
    proof[i] = (guint8) (i * 7);
  g_byte_array_set_size (buf, 0);
  grp_codec_append_auth (buf, proof);
  g_assert_true (grp_codec_parse_auth (buf->data + 4, buf->len - 4, back, &error));
  g_assert_cmpmem (proof, sizeof proof, back, sizeof back);
  g_assert_false (grp_codec_parse_auth (buf->data + 4, buf->len - 5, back, &error));
  g_clear_error (&error);
  /* Another wire version is refused before anything else. */
  buf->data[4] = GRP_WIRE_VERSION + 1;
  g_assert_false (grp_codec_frame_kind (buf->data + 4, buf->len - 4, &frame, &error));
  g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_VERSION);
}

/* Every name a peer sends is one a member could have (grp_codec_name_ok):
 * a JOIN's, and each of a view's.  The core bounds only their bytes, and a
 * joiner that said HELLO under a plain name could join as "x\nview ...",
 * which every member then showed in its views, windows and logs. */
static void
test_bad_names (void)
{
  const char *const bad[] = { "evil\nview 9: forged", "\x1b[2J", "", "tab\there" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GrpMsg) join = grp_msg_new (GRP_MSG_JOIN, 0x4444, 9);
      g_autoptr(GrpMsg) decide = grp_msg_new (GRP_MSG_DECIDE, 0x1111, 9);
      GrpMsg *msgs[] = { join, decide };

      join->join.member = (GrpMember) { 0x4444, g_strdup (bad[i]), g_strdup ("[::1]:7001") };
      decide->decide.view = sample_view ();
      g_free (decide->decide.view->members[1].name);
      decide->decide.view->members[1].name = g_strdup (bad[i]);
      for (guint j = 0; j < G_N_ELEMENTS (msgs); j++)
        {
          g_autoptr(GByteArray) buf = g_byte_array_new ();
          g_autoptr(GError) error = NULL;
          GrpFrameKind kind;
          GrpMsg *out = NULL;

          grp_codec_append_msg (buf, msgs[j]);
          g_assert_false (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &out, NULL, NULL,
                                           NULL, &error));
          g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
          g_assert_null (out);
        }
    }
}

/* Names: what grp_group_new, --name and a peer's HELLO accept (an
 * embedder's trial: a newline, a non-UTF-8 name, 100,000 characters were
 * taken at grp_group_new and failed at the join, or showed up in views). */
static void
test_names (void)
{
  g_autofree char *longest = g_strnfill (GRP_NAME_MAX, 'a');
  g_autofree char *too_long = g_strnfill (GRP_NAME_MAX + 1, 'a');
  g_autoptr(GString) wide = g_string_new (NULL);

  for (guint i = 0; i < GRP_NAME_MAX; i++)
    g_string_append (wide, "é"); /* 64 characters, 128 bytes */
  g_assert_true (grp_codec_name_ok ("w0"));
  g_assert_true (grp_codec_name_ok ("a name with spaces"));
  g_assert_true (grp_codec_name_ok (longest));
  g_assert_true (grp_codec_name_ok (wide->str));
  g_assert_false (grp_codec_name_ok (too_long));
  g_assert_false (grp_codec_name_ok (""));
  g_assert_false (grp_codec_name_ok (NULL));
  g_assert_false (grp_codec_name_ok ("a\nb"));
  g_assert_false (grp_codec_name_ok ("tab\there"));
  g_assert_false (grp_codec_name_ok ("\xff\xfe"));
  /* 64 characters, but 256 bytes: more than the core takes. */
  g_string_truncate (wide, 0);
  for (guint i = 0; i < GRP_NAME_MAX; i++)
    g_string_append_unichar (wide, 0x1f600);
  g_assert_false (grp_codec_name_ok (wide->str));
  g_string_truncate (wide, (GRP_NAME_MAX - 1) * 4);
  g_string_append (wide, "a");
  g_assert_true (grp_codec_name_ok (wide->str));
}

/* A peer's other texts that reach people and logs hold no control
 * character either: a member's address, a JOIN_REFUSED's reason (a joiner
 * prints it), a HELLO's protocol name. */
static void
test_bad_texts (void)
{
  const char *const bad[] = { "10.0.0.1:7000\nview 9: forged", "\x1b[2J", "tab\there" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GrpMsg) join = grp_msg_new (GRP_MSG_JOIN, 0x4444, 9);
      g_autoptr(GrpMsg) refused = grp_msg_new (GRP_MSG_JOIN_REFUSED, 0x1111, 9);
      GrpMsg *msgs[] = { join, refused };
      GrpMember hello = { 0x4444, "carol", (char *) bad[i] };
      GrpMember plain = { 0x4444, "carol", "[::1]:7001" };
      g_autoptr(GByteArray) h1 = g_byte_array_new ();
      g_autoptr(GByteArray) h2 = g_byte_array_new ();
      GrpMember out_hello = { 0 };
      GrpFrameKind kind;
      GrpMsg *out = NULL;

      join->join.member = (GrpMember) { 0x4444, g_strdup ("carol"), g_strdup (bad[i]) };
      refused->join_refused.reason = g_strdup (bad[i]);
      for (guint j = 0; j < G_N_ELEMENTS (msgs); j++)
        {
          g_autoptr(GByteArray) buf = g_byte_array_new ();
          g_autoptr(GError) error = NULL;

          grp_codec_append_msg (buf, msgs[j]);
          g_assert_false (grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &out, NULL, NULL,
                                           NULL, &error));
          g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
          g_assert_null (out);
        }
      grp_codec_append_hello (h1, &hello, "groupy", NULL);
      g_assert_false (grp_codec_parse (h1->data + 4, h1->len - 4, &kind, &out, &out_hello, NULL,
                                       NULL, NULL));
      grp_codec_append_hello (h2, &plain, bad[i], NULL);
      g_assert_false (grp_codec_parse (h2->data + 4, h2->len - 4, &kind, &out, &out_hello, NULL,
                                       NULL, NULL));
    }
}

/* A view of `n` members, each named `name` (and numbered, if `numbered`),
 * at `addr`. */
static GrpView *
wide_view (guint n, const char *name, gboolean numbered, const char *addr)
{
  GrpView *v = grp_view_new (2, 1, n);

  for (guint i = 0; i < n; i++)
    v->members[i] = (GrpMember) { i + 1,
                                  numbered ? g_strdup_printf ("%s %u", name, i) : g_strdup (name),
                                  g_strdup (addr) };
  return v;
}

static gboolean
parse_msg (GrpMsg *m, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GrpMsg) out = NULL;
  GrpFrameKind kind;
  GrpMember hello = { 0 };

  grp_codec_append_msg (buf, m);
  g_assert_cmpuint (buf->len - 4, <=, GRP_FRAME_MAX);
  return grp_codec_parse (buf->data + 4, buf->len - 4, &kind, &out, &hello, NULL, NULL, error);
}

/* What a frame's views cost decoded is bounded: a view's member takes 12
 * bytes on the wire and about 90 once decoded, and one DECIDE of 18 MB
 * holding 370 views of 4,096 members made a member take 160 MB.  An honest
 * message, which the core sizes with the same costs (grp_entry_size), is
 * always taken. */
static void
test_view_budget (void)
{
  g_autoptr(GrpMsg) honest = grp_msg_new (GRP_MSG_DECIDE, 0xdeadbeefcafe, 9);
  g_autoptr(GrpMsg) hostile = grp_msg_new (GRP_MSG_DECIDE, 0xdeadbeefcafe, 9);
  g_autoptr(GrpView) some = wide_view (1024, "member", TRUE, "127.0.0.1:7411");
  g_autoptr(GrpView) minimal = wide_view (4096, "a", FALSE, "");
  g_autoptr(GrpEntry) some_entry = grp_entry_new_view (some);
  g_autoptr(GrpEntry) minimal_entry = grp_entry_new_view (minimal);
  g_autofree char *longest = g_strnfill (GRP_NAME_MAX, 'n');
  g_autofree char *widest = g_strnfill (1024, 'x');
  g_autoptr(GError) error = NULL;

  /* The largest a DECIDE's own view can be, and view entries up to what
   * the core puts in one message (max_msg_bytes is GRP_PAYLOAD_MAX). */
  honest->decide.view = wide_view (4096, longest, FALSE, widest);
  while (grp_msg_entries_size (honest) + grp_entry_size (some_entry) <= GRP_PAYLOAD_MAX)
    grp_msg_add_entry (honest, some_entry);
  g_assert_true (parse_msg (honest, &error));
  g_assert_no_error (error);

  hostile->decide.view = grp_view_ref (minimal);
  for (guint i = 0; i < 370; i++)
    grp_msg_add_entry (hostile, minimal_entry);
  g_assert_false (parse_msg (hostile, &error));
  g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "views too large"));
}

/* A view's names and addresses are charged as they are decoded, and the
 * frame refused at the first that passes the budget: checked only at the
 * view's end, a last view of 4,096 members with addresses of 1 KiB had
 * all its strings allocated (8 MiB beyond the budget) before the refusal.
 * Its last member (id 0) tells which: decoded to the end, that is what
 * the codec names. */
static void
test_view_budget_early (void)
{
  g_autoptr(GrpMsg) m = grp_msg_new (GRP_MSG_DECIDE, 0xdeadbeefcafe, 9);
  g_autoptr(GrpView) minimal = wide_view (4096, "a", FALSE, "");
  g_autoptr(GrpEntry) minimal_entry = grp_entry_new_view (minimal);
  g_autofree char *longest = g_strnfill (GRP_NAME_MAX, 'n');
  g_autofree char *widest = g_strnfill (1024, 'x');
  g_autoptr(GrpView) last = wide_view (4096, longest, FALSE, widest);
  g_autoptr(GrpEntry) last_entry = NULL;
  g_autoptr(GError) error = NULL;
  gsize charged;

  last->members[4095].id = 0;
  last_entry = grp_entry_new_view (last);
  m->decide.view = grp_view_ref (minimal);
  charged = grp_entry_size (minimal_entry);
  /* Views up to where the last one's members, without their strings,
   * still fit: its strings cross the budget. */
  while (charged + grp_entry_size (minimal_entry) + GRP_VIEW_COST + 4096 * GRP_VIEW_MEMBER_COST <=
         GRP_PAYLOAD_MAX + GRP_VIEW_COST + 4096 * (GRP_VIEW_MEMBER_COST + 2 * 1024))
    {
      grp_msg_add_entry (m, minimal_entry);
      charged += grp_entry_size (minimal_entry);
    }
  grp_msg_add_entry (m, last_entry);
  g_assert_false (parse_msg (m, &error));
  g_assert_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "views too large"));
}

/* What the heap holds for the views of a parsed frame is no more than the
 * codec charged for them (GRP_VIEW_COST and GRP_VIEW_MEMBER_COST with
 * their strings, the same as grp_entry_size): small views cost most per
 * member (the view's box, its two arrays, its entry and the list's
 * pointer), and 65,536 views of one member each, 1.2 MB on the wire, held
 * 21.5 MB when charged 14.7 MB.  Measured with glibc's counters; skipped
 * elsewhere and under the sanitizers (whose allocator it does not see). */
static void
test_view_cost_decoded (void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) && \
    !defined(__SANITIZE_ADDRESS__)
  static const guint sizes[] = { 1, 2, 3, 5, 8, 17 };
  static const guint lengths[] = { 1, 7, 24, 40 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
      {
        g_autoptr(GrpMsg) m = grp_msg_new (GRP_MSG_DECIDE, 0xdeadbeefcafe, 9);
        g_autofree char *name = g_strnfill (lengths[l], 'n');
        g_autoptr(GrpView) v = wide_view (sizes[s], name, FALSE, "");
        g_autoptr(GrpEntry) e = grp_entry_new_view (v);
        g_autoptr(GByteArray) buf = g_byte_array_new ();
        g_autoptr(GBytes) body = NULL;
        g_autoptr(GrpMsg) out = NULL;
        g_autoptr(GError) error = NULL;
        GrpMember hello = { 0 };
        GrpFrameKind kind;
        struct mallinfo2 before, after;
        gsize charged, held;

        m->decide.view = grp_view_ref (v);
        for (guint i = 0; i < 3000; i++)
          grp_msg_add_entry (m, e);
        charged = grp_msg_entries_size (m) + grp_entry_size (e);
        grp_codec_append_msg (buf, m);
        body = g_bytes_new (buf->data + 4, buf->len - 4);
        before = mallinfo2 ();
        g_assert_true (grp_codec_parse_bytes (body, &kind, &out, &hello, NULL, NULL, &error));
        g_assert_no_error (error);
        after = mallinfo2 ();
        held = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
        if (held > charged)
          g_test_message ("views of %u members named with %u bytes: held %" G_GSIZE_FORMAT
                          ", charged %" G_GSIZE_FORMAT, sizes[s], lengths[l], held, charged);
        g_assert_cmpuint (held, <=, charged);
      }
#else
  g_test_skip ("needs glibc's mallinfo2 and its allocator");
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec/round-trip", test_round_trip);
  g_test_add_func ("/codec/frame-slices", test_frame_slices);
  g_test_add_func ("/codec/long-list-unshared", test_long_list_unshared);
  g_test_add_func ("/codec/small-messages", test_small_messages);
  g_test_add_func ("/codec/hello", test_hello);
  g_test_add_func ("/codec/truncated", test_truncated);
  g_test_add_func ("/codec/rejects", test_rejects);
  g_test_add_func ("/codec/fuzz", test_fuzz);
  g_test_add_func ("/codec/bye-auth", test_bye_auth);
  g_test_add_func ("/codec/names", test_names);
  g_test_add_func ("/codec/bad-names", test_bad_names);
  g_test_add_func ("/codec/view-budget", test_view_budget);
  g_test_add_func ("/codec/view-budget-early", test_view_budget_early);
  g_test_add_func ("/codec/view-cost-decoded", test_view_cost_decoded);
  g_test_add_func ("/codec/bad-texts", test_bad_texts);
  return g_test_run ();
}
