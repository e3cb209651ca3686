/* fuzz-codec.c: the frame decoder (src/net/grp-codec.c) on arbitrary bytes.
 *
 * The input is one frame body, as it follows the 4-byte length on the wire.
 * Every decoder a connection uses runs on it: the kind, BYE, AUTH, and the
 * full parse, both copying and slicing the payloads out of the frame.
 * Besides never crashing, leaking or reading out of bounds, the decoder
 * must be consistent:
 *  - both parses agree (accepted or refused alike), and a refusal says why;
 *  - what parses re-encodes, and that encoding parses back to the very same
 *    bytes: encode (decode (x)) is a fixed point, so a member relays and
 *    answers with exactly what it understood.
 */
#include "fuzz.h"

#include <string.h>

#include "grp-codec.h"

/* The frame `kind` decoded into `msg` or `hello`, encoded again (body only). */
static GByteArray *
encode (GrpFrameKind          kind,
        GrpMsg               *msg,
        const GrpMember      *hello,
        const char           *protocol,
        const GrpHelloTiming *timing)
{
  GByteArray *out = g_byte_array_new ();

  if (kind == GRP_FRAME_MSG)
    grp_codec_append_msg (out, msg);
  else
    grp_codec_append_hello (out, hello, protocol, timing);
  g_assert_cmpuint (grp_codec_frame_length (out->data), ==, out->len - GRP_FRAME_HEADER);
  g_byte_array_remove_range (out, 0, GRP_FRAME_HEADER);
  return out;
}

/* The full parse of `body`, copying (slices FALSE) or slicing it; its
 * encoding, or NULL if it was refused. */
static GByteArray *
parse_and_encode (const guint8 *data, gsize size, gboolean slices, GrpFrameKind *kind)
{
  g_autoptr(GrpMsg) msg = NULL;
  g_autoptr(GError) error = NULL;
  GrpMember hello = { 0 };
  g_autofree char *protocol = NULL;
  GrpHelloTiming timing = { 0, 0 };
  GByteArray *out;
  gboolean ok;

  if (slices)
    {
      g_autoptr(GBytes) body = g_bytes_new (data, size);

      ok = grp_codec_parse_bytes (body, kind, &msg, &hello, &protocol, &timing, &error);
    }
  else
    ok = grp_codec_parse (data, size, kind, &msg, &hello, &protocol, &timing, &error);
  if (!ok)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == GRP_CODEC_ERROR);
      g_assert_null (msg);
      g_assert_null (hello.name);
      g_assert_null (protocol);
      return NULL;
    }
  g_assert_no_error (error);
  g_assert_true (*kind == GRP_FRAME_MSG || *kind == GRP_FRAME_HELLO);
  g_assert_true ((*kind == GRP_FRAME_MSG) == (msg != NULL));
  if (*kind == GRP_FRAME_HELLO)
    {
      /* The decoder checks what a connection relies on. */
      g_assert_cmpuint (hello.id, !=, 0);
      g_assert_true (g_utf8_validate (hello.name, -1, NULL));
      g_assert_true (g_utf8_validate (hello.addr, -1, NULL));
      g_assert_nonnull (protocol);
      /* Times not said, or bounded and in order. */
      g_assert_true ((timing.heartbeat_ms == 0 && timing.suspect_ms == 0) ||
                     (timing.heartbeat_ms > 0 && timing.suspect_ms > timing.heartbeat_ms &&
                      timing.suspect_ms <= GRP_HELLO_TIMING_MAX_MS));
    }
  out = encode (*kind, msg, &hello, protocol, &timing);
  grp_member_clear (&hello);
  return out;
}

static void
check_bye_and_auth (const guint8 *data, gsize size)
{
  g_autoptr(GError) error = NULL;
  GrpFrameKind kind;
  gboolean kind_ok = grp_codec_frame_kind (data, size, &kind, &error);
  g_autofree char *reason = NULL;
  GrpByeKind bye;
  guint8 proof[GRP_PROOF_LEN];

  g_assert_true (kind_ok == (error == NULL));
  g_clear_error (&error);
  if (grp_codec_parse_bye (data, size, &bye, &reason, &error))
    {
      g_autoptr(GByteArray) again = g_byte_array_new ();
      g_autofree char *reason2 = NULL;
      GrpByeKind bye2;

      g_assert_true (kind_ok && kind == GRP_FRAME_BYE);
      g_assert_true (bye == GRP_BYE_CONNECTION || bye == GRP_BYE_ENDED || bye == GRP_BYE_PROTOCOL);
      /* At most 200 bytes of the peer's, each invalid one made U+FFFD. */
      g_assert_true (g_utf8_validate (reason, -1, NULL));
      g_assert_cmpuint (strlen (reason), <=, 3 * 200);
      grp_codec_append_bye (again, bye, reason);
      g_assert_true (grp_codec_parse_bye (again->data + GRP_FRAME_HEADER,
                                          again->len - GRP_FRAME_HEADER, &bye2, &reason2, NULL));
      g_assert_cmpint (bye2, ==, bye);
    }
  else
    g_assert_nonnull (error);
  g_clear_error (&error);
  if (grp_codec_parse_auth (data, size, proof, &error))
    {
      g_assert_true (kind_ok && kind == GRP_FRAME_AUTH);
      g_assert_cmpuint (size, ==, 2 + GRP_PROOF_LEN);
      g_assert_cmpmem (proof, GRP_PROOF_LEN, data + 2, GRP_PROOF_LEN);
    }
  else
    g_assert_nonnull (error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GByteArray) copied = NULL;
  g_autoptr(GByteArray) sliced = NULL;
  g_autoptr(GByteArray) again = NULL;
  GrpFrameKind kind, kind2;

  fuzz_quiet_logs ();
  check_bye_and_auth (data, size);

  copied = parse_and_encode (data, size, FALSE, &kind);
  sliced = parse_and_encode (data, size, TRUE, &kind2);
  g_assert_true ((copied == NULL) == (sliced == NULL));
  if (copied == NULL)
    return 0;
  g_assert_cmpint (kind, ==, kind2);
  g_assert_cmpmem (copied->data, copied->len, sliced->data, sliced->len);

  /* A fixed point: what we would send parses back to itself. */
  again = parse_and_encode (copied->data, copied->len, TRUE, &kind2);
  g_assert_nonnull (again);
  g_assert_cmpint (kind, ==, kind2);
  g_assert_cmpmem (copied->data, copied->len, again->data, again->len);
  return 0;
}
