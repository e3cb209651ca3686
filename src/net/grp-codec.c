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

enum {
  F_CTR = 1 << 0,
  F_SEQ = 1 << 1,
  F_HIGH = 1 << 2,
  F_STABLE = 1 << 3,
  F_RECV = 1 << 4,
  F_LO = 1 << 5,
  F_HI = 1 << 6,
  F_STAMP = 1 << 7,
  F_ECHO = 1 << 8,
  F_HAS_STATE = 1 << 9,
  F_BALLOT = 1 << 10,
  F_ACC_BALLOT = 1 << 11,
  F_PAYLOAD = 1 << 12,
  F_MEMBER = 1 << 13,
  F_REASON = 1 << 14,
  F_VALUE = 1 << 15,
  F_ENTRIES = 1 << 16,
  F_SEEN = 1 << 17,
  F_DEAD = 1 << 18,
  F_ALL = (1 << 19) - 1,
};

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
grp_codec_append_hello (GByteArray *out, const GrpMember *self)
{
  gsize start;

  begin_frame (out, &start, GRP_FRAME_HELLO);
  put_member (out, self);
  end_frame (out, start);
}

void
grp_codec_append_msg (GByteArray *out, const GrpMsg *m)
{
  guint32 mask = 0;
  gsize start;

  mask |= m->ctr ? F_CTR : 0;
  mask |= m->seq ? F_SEQ : 0;
  mask |= m->high ? F_HIGH : 0;
  mask |= m->stable ? F_STABLE : 0;
  mask |= m->recv_upto ? F_RECV : 0;
  mask |= m->lo ? F_LO : 0;
  mask |= m->hi ? F_HI : 0;
  mask |= m->stamp ? F_STAMP : 0;
  mask |= m->echo ? F_ECHO : 0;
  mask |= m->has_state ? F_HAS_STATE : 0;
  mask |= (m->ballot.n || m->ballot.id) ? F_BALLOT : 0;
  mask |= (m->accepted_ballot.n || m->accepted_ballot.id) ? F_ACC_BALLOT : 0;
  mask |= m->payload ? F_PAYLOAD : 0;
  mask |= m->member.id ? F_MEMBER : 0;
  mask |= m->reason ? F_REASON : 0;
  mask |= m->value ? F_VALUE : 0;
  mask |= m->entries ? F_ENTRIES : 0;
  mask |= m->seen ? F_SEEN : 0;
  mask |= m->dead ? F_DEAD : 0;

  begin_frame (out, &start, GRP_FRAME_MSG);
  put_u8 (out, m->type);
  put_id (out, m->from);
  put_varint (out, m->view);
  put_varint (out, mask);
  if (mask & F_CTR) put_varint (out, m->ctr);
  if (mask & F_SEQ) put_varint (out, m->seq);
  if (mask & F_HIGH) put_varint (out, m->high);
  if (mask & F_STABLE) put_varint (out, m->stable);
  if (mask & F_RECV) put_varint (out, m->recv_upto);
  if (mask & F_LO) put_varint (out, m->lo);
  if (mask & F_HI) put_varint (out, m->hi);
  if (mask & F_STAMP) put_svarint (out, m->stamp);
  if (mask & F_ECHO) put_svarint (out, m->echo);
  if (mask & F_BALLOT)
    {
      put_varint (out, m->ballot.n);
      put_id (out, m->ballot.id);
    }
  if (mask & F_ACC_BALLOT)
    {
      put_varint (out, m->accepted_ballot.n);
      put_id (out, m->accepted_ballot.id);
    }
  if (mask & F_PAYLOAD)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (m->payload, &len);

      put_bytes (out, p, len);
    }
  if (mask & F_MEMBER) put_member (out, &m->member);
  if (mask & F_REASON) put_string (out, m->reason);
  if (mask & F_VALUE) put_view (out, m->value);
  if (mask & F_ENTRIES)
    {
      put_varint (out, m->entries->len);
      for (guint i = 0; i < m->entries->len; i++)
        put_entry (out, g_ptr_array_index (m->entries, i));
    }
  if (mask & F_SEEN)
    {
      put_varint (out, m->seen->len);
      for (guint i = 0; i < m->seen->len; i++)
        {
          GrpSeen *s = &g_array_index (m->seen, GrpSeen, i);

          put_id (out, s->origin);
          put_varint (out, s->ctr);
        }
    }
  if (mask & F_DEAD)
    {
      put_varint (out, m->dead->len);
      for (guint i = 0; i < m->dead->len; i++)
        put_id (out, g_array_index (m->dead, GrpId, i));
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

static void
get_member (Reader *r, GrpMember *m)
{
  m->id = get_id (r);
  m->name = get_string (r);
  m->addr = get_string (r);
  if (!r->fail && m->id == 0)
    fail (r, "member id 0");
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
  v = grp_view_new (id, seq, (guint) n);
  for (guint i = 0; i < n && !r->fail; i++)
    {
      get_member (r, &v->members[i]);
      v->needs_state[i] = get_u8 (r) != 0;
    }
  if (r->fail)
    g_clear_pointer (&v, grp_view_unref);
  return v;
}

static GrpEntry *
get_entry (Reader *r)
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
      if (r->frame != NULL)
        return grp_entry_new_data_slice (seq, view_id, origin, ctr, r->frame, (gsize) (p - r->base), len);
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

static GrpMsg *
get_msg (Reader *r)
{
  guint8 type = get_u8 (r);
  GrpId from = get_id (r);
  guint64 view = get_varint (r);
  guint64 mask = get_varint (r);
  g_autoptr(GrpMsg) m = NULL;

  if (r->fail)
    return NULL;
  if (type == 0 || type >= GRP_MSG_LAST)
    {
      fail (r, "unknown message type");
      return NULL;
    }
  if (mask & ~(guint64) F_ALL)
    {
      fail (r, "unknown fields");
      return NULL;
    }
  m = grp_msg_new (type, from, view);
  if (mask & F_CTR) m->ctr = get_varint (r);
  if (mask & F_SEQ) m->seq = get_varint (r);
  if (mask & F_HIGH) m->high = get_varint (r);
  if (mask & F_STABLE) m->stable = get_varint (r);
  if (mask & F_RECV) m->recv_upto = get_varint (r);
  if (mask & F_LO) m->lo = get_varint (r);
  if (mask & F_HI) m->hi = get_varint (r);
  if (mask & F_STAMP) m->stamp = get_svarint (r);
  if (mask & F_ECHO) m->echo = get_svarint (r);
  m->has_state = (mask & F_HAS_STATE) != 0;
  if (mask & F_BALLOT)
    {
      m->ballot.n = get_varint (r);
      m->ballot.id = get_id (r);
    }
  if (mask & F_ACC_BALLOT)
    {
      m->accepted_ballot.n = get_varint (r);
      m->accepted_ballot.id = get_id (r);
    }
  if (mask & F_PAYLOAD)
    {
      gsize len;
      const guint8 *p = get_bytes (r, &len, MAX_PAYLOAD);

      if (!r->fail)
        m->payload = payload_bytes (r, p, len);
    }
  if (mask & F_MEMBER) get_member (r, &m->member);
  if (mask & F_REASON) m->reason = get_string (r);
  if ((mask & F_VALUE) && !r->fail) m->value = get_view (r);
  if ((mask & F_ENTRIES) && !r->fail)
    {
      guint64 n = get_count (r, MAX_ENTRIES, "too many entries");

      m->entries = g_ptr_array_new_full ((guint) n, (GDestroyNotify) grp_entry_unref);
      for (guint64 i = 0; i < n && !r->fail; i++)
        {
          GrpEntry *e = get_entry (r);

          if (e)
            g_ptr_array_add (m->entries, e);
        }
    }
  if ((mask & F_SEEN) && !r->fail)
    {
      guint64 n = get_count (r, MAX_SEEN, "too many counters");

      m->seen = g_array_sized_new (FALSE, FALSE, sizeof (GrpSeen), (guint) n);
      for (guint64 i = 0; i < n && !r->fail; i++)
        {
          GrpSeen s;

          s.origin = get_id (r);
          s.ctr = get_varint (r);
          g_array_append_val (m->seen, s);
        }
    }
  if ((mask & F_DEAD) && !r->fail)
    {
      guint64 n = get_count (r, MAX_MEMBERS, "too many ids");

      m->dead = g_array_sized_new (FALSE, FALSE, sizeof (GrpId), (guint) n);
      for (guint64 i = 0; i < n && !r->fail; i++)
        {
          GrpId id = get_id (r);

          g_array_append_val (m->dead, id);
        }
    }
  if (r->fail)
    return NULL;
  if (r->p != r->end)
    {
      fail (r, "trailing bytes");
      return NULL;
    }
  /* Messages the core relies on having certain parts. */
  if ((type == GRP_MSG_SEQ && m->entries == NULL) ||
      (type == GRP_MSG_JOIN && m->member.id == 0) ||
      (type == GRP_MSG_REQ && m->payload == NULL && m->entries == NULL) ||
      (type == GRP_MSG_STATE && m->payload == NULL) ||
      ((type == GRP_MSG_ACCEPT || type == GRP_MSG_DECIDE || type == GRP_MSG_NOT_MEMBER) && m->value == NULL))
    {
      fail (r, "message lacks a required part");
      return NULL;
    }
  return g_steal_pointer (&m);
}

static gboolean
parse (Reader        r,
       GrpFrameKind *kind,
       GrpMsg      **msg,
       GrpMember    *hello,
       GError      **error)
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
      get_member (&r, hello);
      if (!r.fail && r.p != r.end)
        fail (&r, "trailing bytes");
      if (r.fail)
        {
          grp_member_clear (hello);
          goto malformed;
        }
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

gboolean
grp_codec_parse_bye (const guint8 *body, gsize len, GrpByeKind *kind, char **reason, GError **error)
{
  GrpFrameKind frame;

  if (!grp_codec_frame_kind (body, len, &frame, error))
    return FALSE;
  if (frame != GRP_FRAME_BYE || len < 3 ||
      (body[2] != GRP_BYE_CONNECTION && body[2] != GRP_BYE_ENDED))
    {
      g_set_error (error, GRP_CODEC_ERROR, GRP_CODEC_ERROR_MALFORMED, "malformed frame: bad BYE");
      return FALSE;
    }
  *kind = body[2];
  *reason = g_utf8_make_valid ((const char *) body + 3, (gssize) MIN (len - 3, 200));
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
grp_codec_parse (const guint8  *body,
                 gsize          len,
                 GrpFrameKind  *kind,
                 GrpMsg       **msg,
                 GrpMember     *hello,
                 GError       **error)
{
  return parse ((Reader) { body, body + len, NULL, NULL, body }, kind, msg, hello, error);
}

gboolean
grp_codec_parse_bytes (GBytes        *body,
                       GrpFrameKind  *kind,
                       GrpMsg       **msg,
                       GrpMember     *hello,
                       GError       **error)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (body, &len);

  return parse ((Reader) { p, p + len, NULL, body, p }, kind, msg, hello, error);
}
