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

#define GRP_WIRE_VERSION 3
#define GRP_FRAME_HEADER 4
#define GRP_FRAME_MAX (64u * 1024 * 1024)

#define GRP_CODEC_ERROR (grp_codec_error_quark ())
GQuark grp_codec_error_quark (void);

typedef enum {
  GRP_CODEC_ERROR_MALFORMED,
  GRP_CODEC_ERROR_VERSION,
  GRP_CODEC_ERROR_TOO_LARGE,
} GrpCodecError;

typedef enum {
  GRP_FRAME_HELLO = 1,   /* first frame on a connection: who is speaking */
  GRP_FRAME_MSG = 2,     /* a protocol message */
  GRP_FRAME_BYE = 3,     /* a deliberate close: the rest is the reason (UTF-8, unchecked) */
} GrpFrameKind;

/* Appends one complete frame (header included) to `out`. */
void      grp_codec_append_msg (GByteArray *out, const GrpMsg *msg);
void      grp_codec_append_hello (GByteArray *out, const GrpMember *self);
void      grp_codec_append_bye (GByteArray *out, const char *reason);

/* Decodes one frame body (without the 4-byte header). */
gboolean  grp_codec_parse (const guint8  *body,
                           gsize          len,
                           GrpFrameKind  *kind,
                           GrpMsg       **msg,
                           GrpMember     *hello,
                           GError       **error);

/* The same; the payloads of the message share `body`'s memory. */
gboolean  grp_codec_parse_bytes (GBytes        *body,
                                 GrpFrameKind  *kind,
                                 GrpMsg       **msg,
                                 GrpMember     *hello,
                                 GError       **error);

/* Length of the frame body announced by a 4-byte header. */
guint32   grp_codec_frame_length (const guint8 *header);

G_END_DECLS
