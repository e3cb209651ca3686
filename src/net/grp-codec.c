/* grp-codec.c: encoding and defensive decoding of frames. */
#include "grp-codec.h"

#include <string.h>

G_DEFINE_QUARK (grp-codec-error-quark, grp_codec_error)

/* Bounds on what a peer may make us allocate. */
#define MAX_STRING 1024
#define MAX_MEMBERS 4096
#define MAX_ENTRIES 65536
#define MAX_SEEN 65536
#define MAX_PAYLOAD GRP_PAYLOAD_MAX
/* What the views of one frame may cost decoded (GRP_VIEW_COST and
 * GRP_VIEW_MEMBER_COST with their strings), where a view on the wire takes
 * 12 bytes a member and decoded about 90: entries the core sized to at most
 * GRP_PAYLOAD_MAX (its max_msg_bytes), and one view beside them (a DECIDE's,
 * a PROMISE's).  So a frame's views take at most about 25 MiB, not 7.7
 * times its length (160 MB for one frame of 18 MB). */
#define MAX_VIEW_COST \
  (GRP_PAYLOAD_MAX + GRP_VIEW_COST + (gsize) MAX_MEMBERS * (GRP_VIEW_MEMBER_COST + 2 * MAX_STRING))

/* ---- writing ---------------------------------------------------------- */

static inline void
put_u8 (GByteArray *out, guint8 v)
{
  g_byte_array_append (out, &v, 1);
}

static inline void
put_varint (GByteArray *out, guint64 v)
{
  guint8 buf[10];
  guint n = 0;

  do
    {
      buf[n] = v & 0x7f;
      v >>= 7;
      if (v)
        buf[n] |= 0x80;
      n++;
    }
  while (v);
  g_byte_array_append (out, buf, n);
}

static inline void
put_svarint (GByteArray *out, gint64 v)
{
  put_varint (out, ((guint64) v << 1) ^ (guint64) (v >> 63));
}

static inline void
put_id (GByteArray *out, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);

  g_byte_array_append (out, (const guint8 *) &le, 8);
}

static void
put_bytes (GByteArray *out, const void *data, gsize len)
{
  put_varint (out, len);
  if (len)
    g_byte_array_append (out, data, len);
}

static void
put_string (GByteArray *out, const char *s)
{
  put_bytes (out, s ? s : "", s ? strlen (s) : 0);
}

static void
put_member (GByteArray *out, const GrpMember *m)
{
  put_id (out, m->id);
  put_string (out, m->name);
  put_string (out, m->addr);
}

static void
put_view (GByteArray *out, const GrpView *v)
{
  put_varint (out, v->id);
  put_varint (out, v->seq);
  put_varint (out, v->n_members);
  for (guint i = 0; i < v->n_members; i++)
    {
      put_member (out, &v->members[i]);
      put_u8 (out, v->needs_state[i] ? 1 : 0);
    }
}

static void
put_entry (GByteArray *out, const GrpEntry *e)
{
  put_varint (out, e->seq);
  put_varint (out, e->view_id);
  put_u8 (out, e->kind);
  if (e->kind == GRP_ENTRY_DATA)
    {
      gsize len;
      const guint8 *p = grp_entry_get_data (e, &len);

      put_id (out, e->origin);
      put_varint (out, e->ctr);
      put_bytes (out, p, len);
    }
  else
    put_view (out, e->view);
}

/* A frame's header (its length, filled in by end_frame), version and kind. */
static void
begin_frame (GByteArray *out, gsize *start, GrpFrameKind kind)
{
  guint8 zero[GRP_FRAME_HEADER] = { 0 };

  *start = out->len;
  g_byte_array_append (out, zero, GRP_FRAME_HEADER);
  put_u8 (out, GRP_WIRE_VERSION);
  put_u8 (out, kind);
}

static void
end_frame (GByteArray *out, gsize start)
{
  guint32 len = GUINT32_TO_LE ((guint32) (out->len - start - GRP_FRAME_HEADER));

  memcpy (out->data + start, &len, GRP_FRAME_HEADER);
}

void
grp_codec_append_hello (GByteArray           *out,
                        const GrpMember      *self,
                        const char           *protocol,
                        const GrpHelloTiming *timing)
{
  gsize start;

  begin_frame (out, &start, GRP_FRAME_HELLO);
  put_member (out, self);
  put_string (out, protocol);
  if (timing != NULL && (timing->heartbeat_ms != 0 || timing->suspect_ms != 0))
    {
      put_varint (out, timing->heartbeat_ms);
      put_varint (out, timing->suspect_ms);
    }
  end_frame (out, start);
}

static void
put_ballot (GByteArray *out, GrpBallot b)
{
  put_varint (out, b.n);
  put_id (out, b.id);
}

static void
put_entries (GByteArray *out, const GPtrArray *entries)
{
  put_varint (out, entries ? entries->len : 0);
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    put_entry (out, g_ptr_array_index (entries, i));
}

/* A request's entries: only the counter and the payload travel (the origin
 * is the sender, the position is the leader's to give). */
static void
put_requests (GByteArray *out, const GPtrArray *entries)
{
  put_varint (out, entries ? entries->len : 0);
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      const GrpEntry *e = g_ptr_array_index (entries, i);
      gsize len;
      const guint8 *p = grp_entry_get_data (e, &len);

      put_varint (out, e->ctr);
      put_bytes (out, p, len);
    }
}

static void
put_seen (GByteArray *out, const GArray *seen)
{
  put_varint (out, seen ? seen->len : 0);
  for (guint i = 0; seen != NULL && i < seen->len; i++)
    {
      const GrpSeen *s = &g_array_index (seen, GrpSeen, i);

      put_id (out, s->origin);
      put_varint (out, s->ctr);
    }
}

void
grp_codec_append_msg (GByteArray *out, const GrpMsg *m)
{
  gsize start;

  begin_frame (out, &start, GRP_FRAME_MSG);
  put_u8 (out, m->type);
  put_id (out, m->from);
  put_varint (out, m->view);
  switch (m->type)
    {
    case GRP_MSG_JOIN:
      put_member (out, &m->join.member);
      break;
    case GRP_MSG_JOIN_REFUSED:
      put_string (out, m->join_refused.reason);
      break;
    case GRP_MSG_REQ:
      put_requests (out, m->req.entries);
      break;
    case GRP_MSG_SEQ:
      put_varint (out, m->seq.stable);
      put_svarint (out, m->seq.stamp);
      put_entries (out, m->seq.entries);
      break;
    case GRP_MSG_HB:
      put_varint (out, m->hb.high);
      put_varint (out, m->hb.stable);
      put_svarint (out, m->hb.stamp);
      break;
    case GRP_MSG_ACK:
      put_varint (out, m->ack.recv_upto);
      put_u8 (out, m->ack.has_state ? 1 : 0);
      put_svarint (out, m->ack.stamp);
      break;
    case GRP_MSG_NAK:
      put_varint (out, m->nak.lo);
      put_varint (out, m->nak.hi);
      break;
    case GRP_MSG_STATE:
      {
        gsize len;
        const guint8 *p = g_bytes_get_data (m->state.state, &len);

        put_varint (out, m->state.seq);
        put_bytes (out, p, len);
        put_seen (out, m->state.seen);
      }
      break;
    case GRP_MSG_PREPARE:
      put_ballot (out, m->prepare.ballot);
      put_varint (out, m->prepare.high);
      put_varint (out, m->prepare.lo);
      break;
    case GRP_MSG_PROMISE:
      put_ballot (out, m->promise.ballot);
      put_varint (out, m->promise.recv_upto);
      put_u8 (out, (m->promise.has_state ? 1 : 0) | (m->promise.accepted ? 2 : 0));
      if (m->promise.accepted)
        {
          put_ballot (out, m->promise.accepted_ballot);
          put_view (out, m->promise.accepted);
        }
      put_entries (out, m->promise.entries);
      put_varint (out, m->promise.dead != NULL ? m->promise.dead->len : 0);
      for (guint i = 0; m->promise.dead != NULL && i < m->promise.dead->len; i++)
        put_id (out, g_array_index (m->promise.dead, GrpId, i));
      break;
    case GRP_MSG_REJECT:
      put_ballot (out, m->reject.ballot);
      break;
    case GRP_MSG_ACCEPT:
      put_ballot (out, m->accept.ballot);
      put_view (out, m->accept.value);
      put_entries (out, m->accept.entries);
      break;
    case GRP_MSG_ACCEPTED:
      put_ballot (out, m->accepted.ballot);
      break;
    case GRP_MSG_DECIDE:
      put_view (out, m->decide.view);
      put_entries (out, m->decide.entries);
      break;
    case GRP_MSG_NOT_MEMBER:
      put_view (out, m->not_member.view);
      break;
    case GRP_MSG_NEED_VIEW:
      put_varint (out, m->need_view.recv_upto);
      break;
    case GRP_MSG_STATE_REQ:
    case GRP_MSG_LEAVE:
    default:
      break;
    }
  end_frame (out, start);
}

void
grp_codec_append_bye (GByteArray *out, GrpByeKind kind, const char *reason)
{
  gsize start;

  begin_frame (out, &start, GRP_FRAME_BYE);
  put_u8 (out, kind);
  g_byte_array_append (out, (const guint8 *) reason, (guint) strlen (reason));
  end_frame (out, start);
}

void
grp_codec_append_auth (GByteArray *out, const guint8 proof[GRP_PROOF_LEN])
{
  gsize start;

  begin_frame (out, &start, GRP_FRAME_AUTH);
  g_byte_array_append (out, proof, GRP_PROOF_LEN);
  end_frame (out, start);
}

guint32
grp_codec_frame_length (const guint8 *header)
{
  guint32 len;

  memcpy (&len, header, 4);
  return GUINT32_FROM_LE (len);
}

/* ---- reading ---------------------------------------------------------- */

typedef struct {
  const guint8 *p;
  const guint8 *end;
  const char *fail; /* first failure, or NULL */
  GBytes *frame;    /* when set, payloads are slices of it (no copy) */
  const guint8 *base;
  gsize view_cost;  /* of the views decoded so far (MAX_VIEW_COST) */
} Reader;

static GBytes *
payload_bytes (Reader *r, const guint8 *p, gsize len)
{
  if (r->frame != NULL)
    return g_bytes_new_from_bytes (r->frame, (gsize) (p - r->base), len);
  return g_bytes_new (p, len);
}

static void
fail (Reader *r, const char *what)
{
  if (r->fail == NULL)
    r->fail = what;
  r->p = r->end;
}

static guint8
get_u8 (Reader *r)
{
  if (r->p >= r->end)
    {
      fail (r, "truncated");
      return 0;
    }
  return *r->p++;
}

static guint64
get_varint (Reader *r)
{
  guint64 v = 0;

  for (guint shift = 0; shift < 64; shift += 7)
    {
      guint8 b;

      if (r->p >= r->end)
        {
          fail (r, "truncated integer");
          return 0;
        }
      b = *r->p++;
      v |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        return v;
    }
  fail (r, "integer too long");
  return 0;
}

static gint64
get_svarint (Reader *r)
{
  guint64 u = get_varint (r);

  return (gint64) (u >> 1) ^ -(gint64) (u & 1);
}

static guint64
get_id (Reader *r)
{
  guint64 v;

  if (r->end - r->p < 8)
    {
      fail (r, "truncated id");
      return 0;
    }
  memcpy (&v, r->p, 8);
  r->p += 8;
  return GUINT64_FROM_LE (v);
}

static guint64
get_count (Reader *r, guint64 max, const char *what)
{
  guint64 n = get_varint (r);

  if (n > max || n > (guint64) (r->end - r->p))
    {
      fail (r, what);
      return 0;
    }
  return n;
}

static const guint8 *
get_bytes (Reader *r, gsize *len, gsize max)
{
  const guint8 *p;

  *len = get_count (r, max, "oversized or truncated bytes");
  p = r->p;
  r->p += *len;
  return p;
}

static char *
get_string (Reader *r)
{
  gsize len;
  const guint8 *p = get_bytes (r, &len, MAX_STRING);

  if (r->fail)
    return NULL;
  if (!g_utf8_validate ((const char *) p, len, NULL))
    {
      fail (r, "string is not UTF-8");
      return NULL;
    }
  return g_strndup ((const char *) p, len);
}

/* Whether `text` holds no control character: a peer's text goes into
 * messages people read and logs (a terminal's escapes, a line break that
 * forges a line of the log). */
static gboolean
text_clean (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* A member: a HELLO's, a JOIN's, or one of a view's.  Its name is one a
 * member could have (grp_codec_name_ok): names are shown in views, windows
 * and logs, and the core bounds only their bytes. */
static void
get_member (Reader *r, GrpMember *m)
{
  m->id = get_id (r);
  m->name = get_string (r);
  m->addr = get_string (r);
  if (!r->fail && m->id == 0)
    fail (r, "member id 0");
  if (!r->fail && !grp_codec_name_ok (m->name))
    fail (r, "bad member name");
  if (!r->fail && !text_clean (m->addr))
    fail (r, "bad member address");
}

static GrpView *
get_view (Reader *r)
{
  guint64 id = get_varint (r);
  guint64 seq = get_varint (r);
  guint64 n = get_count (r, MAX_MEMBERS, "too many members");
  GrpView *v;

  if (r->fail)
    return NULL;
  if (n == 0)
    {
      fail (r, "view without members");
      return NULL;
    }
  r->view_cost += GRP_VIEW_COST + n * GRP_VIEW_MEMBER_COST;
  if (r->view_cost > MAX_VIEW_COST)
    {
      fail (r, "views too large for one frame");
      return NULL;
    }
  v = grp_view_new (id, seq, (guint) n);
  for (guint i = 0; i < n && !r->fail; i++)
    {
      get_member (r, &v->members[i]);
      v->needs_state[i] = get_u8 (r) != 0;
      if (!r->fail)
        r->view_cost += strlen (v->members[i].name) + strlen (v->members[i].addr);
      if (!r->fail && r->view_cost > MAX_VIEW_COST)
        fail (r, "views too large for one frame"); /* before the next strings */
    }
  if (r->fail)
    g_clear_pointer (&v, grp_view_unref);
  return v;
}

static GrpEntry *
get_entry (Reader *r, GrpEntryBlock *block)
{
  guint64 seq = get_varint (r);
  guint64 view_id = get_varint (r);
  guint8 kind = get_u8 (r);

  if (r->fail)
    return NULL;
  if (kind == GRP_ENTRY_DATA)
    {
      GrpId origin = get_id (r);
      guint64 ctr = get_varint (r);
      gsize len;
      const guint8 *p = get_bytes (r, &len, MAX_PAYLOAD);
      g_autoptr(GBytes) payload = NULL;

      if (r->fail)
        return NULL;
      if (block != NULL)
        return grp_entry_block_add (block, seq, view_id, origin, ctr, (gsize) (p - r->base), len);
      if (r->frame != NULL)
        return grp_entry_new_data_slice (seq, view_id, origin, ctr, r->frame,
                                         (gsize) (p - r->base), len);
      payload = g_bytes_new (p, len);
      return grp_entry_new_data (seq, view_id, origin, ctr, payload);
    }
  if (kind == GRP_ENTRY_VIEW)
    {
      g_autoptr(GrpView) v = get_view (r);

      if (v == NULL)
        return NULL;
      if (v->seq != seq || v->id != view_id)
        {
          fail (r, "view entry disagrees with its view");
          return NULL;
        }
      return grp_entry_new_view (v);
    }
  fail (r, "unknown entry kind");
  return NULL;
}

static GrpBallot
get_ballot (Reader *r)
{
  GrpBallot b;

  b.n = get_varint (r);
  b.id = get_id (r);
  return b;
}

/* One allocation for the `n` entries of a list sliced from the frame, or
 * NULL: when copying, or a list too long to share one (GRP_ENTRY_BLOCK_MAX). */
static GrpEntryBlock *
block_for (Reader *r, guint64 n)
{
  if (r->frame == NULL || n == 0 || n > GRP_ENTRY_BLOCK_MAX)
    return NULL;
  return grp_entry_block_new (r->frame, (guint) n);
}

static GPtrArray *
get_entries (Reader *r)
{
  guint64 n = get_count (r, MAX_ENTRIES, "too many entries");
  GPtrArray *entries = g_ptr_array_new_full ((guint) n, (GDestroyNotify) grp_entry_unref);
  GrpEntryBlock *block = block_for (r, n);

  for (guint64 i = 0; i < n && !r->fail; i++)
    {
      GrpEntry *e = get_entry (r, block);

      if (e)
        g_ptr_array_add (entries, e);
    }
  if (block != NULL)
    grp_entry_block_unref (block);
  return entries;
}

static GPtrArray *
get_requests (Reader *r, GrpId from, guint64 view)
{
  guint64 n = get_count (r, MAX_ENTRIES, "too many requests");
  GPtrArray *entries = g_ptr_array_new_full ((guint) n, (GDestroyNotify) grp_entry_unref);
  GrpEntryBlock *block = block_for (r, n);

  for (guint64 i = 0; i < n && !r->fail; i++)
    {
      guint64 ctr = get_varint (r);
      gsize len;
      const guint8 *p = get_bytes (r, &len, MAX_PAYLOAD);

      if (r->fail)
        break;
      if (block != NULL)
        g_ptr_array_add (entries, grp_entry_block_add (block, 0, view, from, ctr,
                                                       (gsize) (p - r->base), len));
      else if (r->frame != NULL)
        g_ptr_array_add (entries, grp_entry_new_data_slice (0, view, from, ctr, r->frame,
                                                            (gsize) (p - r->base), len));
      else
        {
          g_autoptr(GBytes) payload = g_bytes_new (p, len);

          g_ptr_array_add (entries, grp_entry_new_data (0, view, from, ctr, payload));
        }
    }
  if (block != NULL)
    grp_entry_block_unref (block);
  return entries;
}

static GArray *
get_seen (Reader *r)
{
  guint64 n = get_count (r, MAX_SEEN, "too many counters");
  GArray *seen = g_array_sized_new (FALSE, FALSE, sizeof (GrpSeen), (guint) n);

  for (guint64 i = 0; i < n && !r->fail; i++)
    {
      GrpSeen s;

      s.origin = get_id (r);
      s.ctr = get_varint (r);
      g_array_append_val (seen, s);
    }
  return seen;
}

static GrpMsg *
get_msg (Reader *r)
{
  guint8 type = get_u8 (r);
  GrpId from = get_id (r);
  guint64 view = get_varint (r);
  g_autoptr(GrpMsg) m = NULL;

  if (r->fail)
    return NULL;
  if (type == 0 || type >= GRP_MSG_LAST)
    {
      fail (r, "unknown message type");
      return NULL;
    }
  m = grp_msg_new (type, from, view);
  switch (m->type)
    {
    case GRP_MSG_JOIN:
      get_member (r, &m->join.member);
      break;
    case GRP_MSG_JOIN_REFUSED:
      m->join_refused.reason = get_string (r);
      if (!r->fail && !text_clean (m->join_refused.reason))
        fail (r, "control characters in a reason");
      break;
    case GRP_MSG_REQ:
      m->req.entries = get_requests (r, from, view);
      break;
    case GRP_MSG_SEQ:
      m->seq.stable = get_varint (r);
      m->seq.stamp = get_svarint (r);
      m->seq.entries = get_entries (r);
      break;
    case GRP_MSG_HB:
      m->hb.high = get_varint (r);
      m->hb.stable = get_varint (r);
      m->hb.stamp = get_svarint (r);
      break;
    case GRP_MSG_ACK:
      m->ack.recv_upto = get_varint (r);
      m->ack.has_state = get_u8 (r) != 0;
      m->ack.stamp = get_svarint (r);
      break;
    case GRP_MSG_NAK:
      m->nak.lo = get_varint (r);
      m->nak.hi = get_varint (r);
      break;
    case GRP_MSG_STATE:
      {
        gsize len;
        const guint8 *p;

        m->state.seq = get_varint (r);
        p = get_bytes (r, &len, MAX_PAYLOAD);
        if (!r->fail)
          m->state.state = payload_bytes (r, p, len);
        m->state.seen = get_seen (r);
      }
      break;
    case GRP_MSG_PREPARE:
      m->prepare.ballot = get_ballot (r);
      m->prepare.high = get_varint (r);
      m->prepare.lo = get_varint (r);
      break;
    case GRP_MSG_PROMISE:
      {
        guint8 flags;

        m->promise.ballot = get_ballot (r);
        m->promise.recv_upto = get_varint (r);
        flags = get_u8 (r);
        m->promise.has_state = (flags & 1) != 0;
        if ((flags & 2) && !r->fail)
          {
            m->promise.accepted_ballot = get_ballot (r);
            m->promise.accepted = get_view (r);
          }
        if (!r->fail)
          m->promise.entries = get_entries (r);
        if (!r->fail)
          {
            guint64 n = get_count (r, MAX_MEMBERS, "too many crashed members");

            m->promise.dead = g_array_sized_new (FALSE, FALSE, sizeof (GrpId), (guint) n);
            for (guint64 i = 0; i < n && !r->fail; i++)
              {
                GrpId id = get_id (r);

                g_array_append_val (m->promise.dead, id);
              }
          }
      }
      break;
    case GRP_MSG_REJECT:
      m->reject.ballot = get_ballot (r);
      break;
    case GRP_MSG_ACCEPT:
      m->accept.ballot = get_ballot (r);
      m->accept.value = get_view (r);
      if (!r->fail)
        m->accept.entries = get_entries (r);
      break;
    case GRP_MSG_ACCEPTED:
      m->accepted.ballot = get_ballot (r);
      break;
    case GRP_MSG_DECIDE:
      m->decide.view = get_view (r);
      if (!r->fail)
        m->decide.entries = get_entries (r);
      break;
    case GRP_MSG_NOT_MEMBER:
      m->not_member.view = get_view (r);
      break;
    case GRP_MSG_NEED_VIEW:
      m->need_view.recv_upto = get_varint (r);
      break;
    case GRP_MSG_STATE_REQ:
    case GRP_MSG_LEAVE:
    default:
      break;
    }
  if (r->fail)
    return NULL;
  if (r->p != r->end)
    {
      fail (r, "trailing bytes");
      return NULL;
    }
  return g_steal_pointer (&m);
}

/* A reader over body[0..len).  An empty body may be NULL (an empty GBytes
 * holds no data), and NULL + 0 is undefined in C. */
static Reader
reader_new (const guint8 *body, gsize len, GBytes *frame)
{
  static const guint8 nothing[1];

  if (body == NULL)
    body = nothing;
  return (Reader) { body, body + len, NULL, frame, body, 0 };
}

static gboolean
parse (Reader          r,
       GrpFrameKind   *kind,
       GrpMsg        **msg,
       GrpMember      *hello,
       char          **protocol,
       GrpHelloTiming *timing,
       GError        **error)
{
  guint8 version = get_u8 (&r);
  guint8 k = get_u8 (&r);

  *msg = NULL;
  if (r.fail)
    goto malformed;
  if (version != GRP_WIRE_VERSION)
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_VERSION,
                   "peer speaks wire version %u, we speak %u", version, GRP_WIRE_VERSION);
      return FALSE;
    }
  if (k == GRP_FRAME_HELLO)
    {
      g_autofree char *name = NULL;
      GrpHelloTiming times = { 0, 0 };

      get_member (&r, hello);
      name = get_string (&r);
      if (!r.fail && (name[0] == '\0' || strlen (name) > GRP_PROTOCOL_NAME_MAX ||
                      !text_clean (name)))
        fail (&r, "bad protocol name");
      if (!r.fail && r.p != r.end)
        {
          guint64 hb = get_varint (&r);
          guint64 suspect = get_varint (&r);

          if (!r.fail && (hb == 0 || suspect <= hb || suspect > GRP_HELLO_TIMING_MAX_MS))
            fail (&r, "bad failure-detection times");
          times = (GrpHelloTiming) { (guint32) hb, (guint32) suspect };
        }
      if (!r.fail && r.p != r.end)
        fail (&r, "trailing bytes");
      if (r.fail)
        {
          grp_member_clear (hello);
          goto malformed;
        }
      if (protocol != NULL)
        *protocol = g_steal_pointer (&name);
      if (timing != NULL)
        *timing = times;
      *kind = GRP_FRAME_HELLO;
      return TRUE;
    }
  if (k == GRP_FRAME_MSG)
    {
      *msg = get_msg (&r);
      if (*msg == NULL)
        goto malformed;
      *kind = GRP_FRAME_MSG;
      return TRUE;
    }
  fail (&r, "unknown frame kind");

malformed:
  g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED, "malformed frame: %s", r.fail);
  return FALSE;
}

gboolean
grp_codec_frame_kind (const guint8 *body, gsize len, GrpFrameKind *kind, GError **error)
{
  if (len < 2)
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED, "malformed frame: truncated");
      return FALSE;
    }
  if (body[0] != GRP_WIRE_VERSION)
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_VERSION,
                   "peer speaks wire version %u, we speak %u", body[0], GRP_WIRE_VERSION);
      return FALSE;
    }
  if (body[1] < GRP_FRAME_HELLO || body[1] > GRP_FRAME_AUTH)
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED,
                   "malformed frame: unknown frame kind");
      return FALSE;
    }
  *kind = body[1];
  return TRUE;
}

/* A peer's text, for people and logs: UTF-8, invalid bytes and control
 * characters (a terminal's escapes, a line break that forges a line of
 * the log) each replaced with U+FFFD, as names are refused for them. */
static char *
clean_text (const char *text, gsize len)
{
  g_autofree char *valid = g_utf8_make_valid (text, (gssize) len);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (out, g_unichar_iscntrl (c) ? 0xfffd : c);
    }
  return g_string_free (out, FALSE);
}

gboolean
grp_codec_parse_bye (const guint8 *body, gsize len, GrpByeKind *kind, char **reason, GError **error)
{
  GrpFrameKind frame;

  if (!grp_codec_frame_kind (body, len, &frame, error))
    return FALSE;
  if (frame != GRP_FRAME_BYE || len < 3 ||
      (body[2] != GRP_BYE_CONNECTION && body[2] != GRP_BYE_ENDED && body[2] != GRP_BYE_PROTOCOL))
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED, "malformed frame: bad BYE");
      return FALSE;
    }
  *kind = body[2];
  *reason = clean_text ((const char *) body + 3, MIN (len - 3, GRP_BYE_REASON_MAX));
  return TRUE;
}

gboolean
grp_codec_parse_auth (const guint8 *body, gsize len, guint8 proof[GRP_PROOF_LEN], GError **error)
{
  GrpFrameKind frame;

  if (!grp_codec_frame_kind (body, len, &frame, error))
    return FALSE;
  if (frame != GRP_FRAME_AUTH || len != 2 + GRP_PROOF_LEN)
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED, "malformed frame: bad AUTH");
      return FALSE;
    }
  memcpy (proof, body + 2, GRP_PROOF_LEN);
  return TRUE;
}

gboolean
grp_codec_parse (const guint8    *body,
                 gsize            len,
                 GrpFrameKind    *kind,
                 GrpMsg         **msg,
                 GrpMember       *hello,
                 char           **protocol,
                 GrpHelloTiming  *timing,
                 GError         **error)
{
  return parse (reader_new (body, len, NULL), kind, msg, hello, protocol, timing, error);
}

gboolean
grp_codec_parse_bytes (GBytes          *body,
                       GrpFrameKind    *kind,
                       GrpMsg         **msg,
                       GrpMember       *hello,
                       char           **protocol,
                       GrpHelloTiming  *timing,
                       GError         **error)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (body, &len);

  return parse (reader_new (p, len, body), kind, msg, hello, protocol, timing, error);
}

gboolean
grp_codec_name_ok (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > GRP_NAME_MAX_BYTES ||
      !g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > GRP_NAME_MAX)
    return FALSE;
  return text_clean (name);
}
