/* grp-codec.h: the wire format of Groupy's protocol messages.
 *
 * A frame is a 4-byte little-endian body length followed by the body.  A
 * body starts with the wire version and a frame kind; a message body then
 * holds the message type, sender and view, a presence mask and only the
 * fields the mask names.  Integers are LEB128 varints, ids are fixed 8 bytes.
 * Everything read from the network is checked against explicit bounds: a
 * malformed body is refused with an error, never trusted.
 *
 * The format was chosen by measurement against GVariant (see
 * tests/bench-codec.c and docs/PROTOCOL.md): for the messages on the hot
 * path it is several times smaller and faster to encode and decode.
 */
#pragma once

#include "grp-msg.h"

G_BEGIN_DECLS

#define GRP_WIRE_VERSION 5
#define GRP_FRAME_HEADER 4

/* The largest payload of one multicast, and of an application state. */
#define GRP_PAYLOAD_MAX (16u * 1024 * 1024)
/* What a frame may hold besides one largest payload: the largest is a
 * STATE's duplicate filter (65,536 counters of at most 18 bytes, 1.2 MB). */
#define GRP_FRAME_OVERHEAD_MAX (2u * 1024 * 1024)
/* A frame is refused as soon as its header announces more than this: a
 * peer cannot make a member wait for (or buffer) more than one largest
 * payload at a time on one connection. */
#define GRP_FRAME_MAX (GRP_PAYLOAD_MAX + GRP_FRAME_OVERHEAD_MAX)
/* Entries decoded from one frame share one allocation, which lives as
 * long as the last of them: an entry the core keeps keeps the room of its
 * whole list (88 bytes an entry, for 13 on the wire), which a peer pads
 * with entries the core refuses.  A longer list (a catch-up, or padding)
 * gets an allocation per entry, so one kept entry holds at most its frame
 * and this many entries' room (90 KB), as before the blocks. */
#define GRP_ENTRY_BLOCK_MAX 1024
/* Names of members, in characters (the options allow as many)... */
#define GRP_NAME_MAX 64
/* ... and in bytes: what the core takes (GRP_MAX_NAME, src/core/core.h),
 * which 64 characters of four bytes each go past. */
#define GRP_NAME_MAX_BYTES 255
/* Advertised addresses ("HOST:PORT"), in bytes. */
#define GRP_ADDR_MAX 256
/* The name of the protocol a member runs, in a HELLO ("groupy", "gms2"). */
#define GRP_PROTOCOL_NAME_MAX 32
/* A member's failure-detection times, in its HELLO (grp_group_set_timing):
 * the members of a group must all use the same, or some suspect others
 * that are well, or are suspected.  0 and 0: not said (a HELLO may end
 * after the protocol name). */
typedef struct {
  guint32 heartbeat_ms;
  guint32 suspect_ms;
} GrpHelloTiming;
/* Each time in a HELLO, at most: a day.  A member's own are bounded far
 * lower by its options; larger is a malformed HELLO. */
#define GRP_HELLO_TIMING_MAX_MS (24u * 3600 * 1000)
/* The proof of the group secret in an AUTH frame (HMAC-SHA256). */
#define GRP_PROOF_LEN 32

#define GRP_CODEC_ERROR (grp_codec_error_quark ())
GQuark grp_codec_error_quark (void);

typedef enum {
  GRP_CODEC_ERROR_MALFORMED,
  GRP_CODEC_ERROR_VERSION,
  GRP_CODEC_ERROR_TOO_LARGE,
} GrpCodecError;

typedef enum {
  GRP_FRAME_HELLO = 1,   /* first frame on a connection: who is speaking, the
                          * protocol it runs (grp-proto.h), and its failure-
                          * detection times */
  GRP_FRAME_MSG = 2,     /* a protocol message */
  GRP_FRAME_BYE = 3,     /* a deliberate close: a GrpByeKind, then the reason (UTF-8) */
  GRP_FRAME_AUTH = 4,    /* with a group secret, before HELLO: the proof of it */
} GrpFrameKind;

/* What a BYE says about its sender.  The difference matters: a member may
 * go on without a peer whose end is certain (docs/PROTOCOL.md). */
typedef enum {
  /* Only this connection closes; the sender lives on and may be reached
   * again (a malformed frame, a duplicate connection, a failed handshake). */
  GRP_BYE_CONNECTION = 1,
  /* The sender's member incarnation has ended: it will never send another
   * message (it exits, starts a new incarnation, or is disposed). */
  GRP_BYE_ENDED = 2,
  /* Only this connection closes: its sender runs another protocol than the
   * HELLO named, or with other failure-detection times, and refuses it (the
   * reason says which). */
  GRP_BYE_PROTOCOL = 3,
} GrpByeKind;

/* The reason of the BYE (GRP_BYE_CONNECTION) that a member with a secret
 * or a PKI sends, before it closes, to a peer whose first bytes are not
 * TLS; it reads nothing of the peer's and says no more than this.  A
 * member without one recognises it, and tells its program that the group
 * has a secret.  At most 56 bytes: the reply to a plaintext peer stays
 * below 64. */
#define GRP_BYE_TLS_ONLY "TLS only: this group has a secret"
/* The reason of the BYE a member sends a peer whose proof of the group
 * secret is wrong.  Each side checks the other's proof at once: which of
 * the two finds the mismatch first varies, so the dialer says the same
 * either way (grp-transport.c, GRP_SECRET_MISMATCH). */
#define GRP_BYE_PROOF_MISMATCH "the proof of the group secret does not match"
/* The reason of the BYE a member sends when it cannot check a peer's proof
 * for a failure of its own (its side of the TLS channel binding): no news
 * about either secret, and the dialer says so, without the hint to compare
 * secret files. */
#define GRP_BYE_CHECK_FAILED \
  "the member dialed could not check the proof of the group secret (a failure of its own)"
/* The reason of the BYE a member sends a peer whose HELLO bears its own
 * id: a member that dialed an address of its own (one it listens on under
 * another name: 127.0.0.1 for 0.0.0.0, a name of this host).  Which side of
 * that connection reads the other's HELLO first varies, so the dialer that
 * reads this says what the check of its own would (grp-transport.c,
 * GRP_DIALED_ITSELF). */
#define GRP_BYE_OWN_ID "it claims our own id"

/* Appends one complete frame (header included) to `out`. */
/* A member's name: 1 to GRP_NAME_MAX characters of UTF-8, at most
 * GRP_NAME_MAX_BYTES bytes, none of them a control character (names are
 * shown in views, windows and logs). */
gboolean  grp_codec_name_ok (const char *name);

void      grp_codec_append_msg (GByteArray *out, const GrpMsg *msg);
/* `timing` may be NULL: not said. */
void      grp_codec_append_hello (GByteArray           *out,
                                  const GrpMember      *self,
                                  const char           *protocol,
                                  const GrpHelloTiming *timing);
void      grp_codec_append_bye (GByteArray *out, GrpByeKind kind, const char *reason);
void      grp_codec_append_auth (GByteArray *out, const guint8 proof[GRP_PROOF_LEN]);

/* Decodes one frame body (without the 4-byte header): a message, or a
 * HELLO's member, protocol name and times (`protocol` and `timing` may be
 * NULL). */
gboolean  grp_codec_parse (const guint8    *body,
                           gsize            len,
                           GrpFrameKind    *kind,
                           GrpMsg         **msg,
                           GrpMember       *hello,
                           char           **protocol,
                           GrpHelloTiming  *timing,
                           GError         **error);

/* The same; the payloads of the message share `body`'s memory. */
gboolean  grp_codec_parse_bytes (GBytes          *body,
                                 GrpFrameKind    *kind,
                                 GrpMsg         **msg,
                                 GrpMember       *hello,
                                 char           **protocol,
                                 GrpHelloTiming  *timing,
                                 GError         **error);

/* Length of the frame body announced by a 4-byte header. */
guint32   grp_codec_frame_length (const guint8 *header);

/* The kind of a frame body, after checking its version. */
gboolean  grp_codec_frame_kind (const guint8  *body,
                                gsize          len,
                                GrpFrameKind  *kind,
                                GError       **error);
/* The most of a BYE's reason that is read (what follows is dropped). */
#define GRP_BYE_REASON_MAX 200
/* A BYE body: its kind and reason (a newly allocated UTF-8 string, at most
 * GRP_BYE_REASON_MAX bytes of what the peer sent, invalid bytes and control
 * characters replaced). */
gboolean  grp_codec_parse_bye (const guint8  *body,
                               gsize          len,
                               GrpByeKind    *kind,
                               char         **reason,
                               GError       **error);
/* An AUTH body: the proof it carries. */
gboolean  grp_codec_parse_auth (const guint8  *body,
                                gsize          len,
                                guint8         proof[GRP_PROOF_LEN],
                                GError       **error);

G_END_DECLS
