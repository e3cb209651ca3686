/* grp-msg.c: construction and reference counting of views, entries and
 * messages. */
#include "grp-msg.h"

#include <string.h>

void
grp_member_copy (GrpMember       *dest,
                 const GrpMember *src)
{
  dest->id = src->id;
  dest->name = g_strdup (src->name);
  dest->addr = g_strdup (src->addr);
}

void
grp_member_clear (GrpMember *member)
{
  g_clear_pointer (&member->name, g_free);
  g_clear_pointer (&member->addr, g_free);
}

static void
view_clear (gpointer data)
{
  GrpView *view = data;

  for (guint i = 0; i < view->n_members; i++)
    grp_member_clear (&view->members[i]);
  g_free (view->members);
  g_free (view->needs_state);
}

GrpView *
grp_view_new (guint64 id,
              guint64 seq,
              guint   n_members)
{
  GrpView *view = g_rc_box_new0 (GrpView);

  view->id = id;
  view->seq = seq;
  view->n_members = n_members;
  view->members = g_new0 (GrpMember, n_members);
  view->needs_state = g_new0 (gboolean, n_members);
  return view;
}

GrpView *
grp_view_ref (GrpView *view)
{
  return g_rc_box_acquire (view);
}

void
grp_view_unref (GrpView *view)
{
  g_rc_box_release_full (view, view_clear);
}

int
grp_view_index (const GrpView *view,
                GrpId          id)
{
  for (guint i = 0; i < view->n_members; i++)
    if (view->members[i].id == id)
      return (int) i;
  return -1;
}

gboolean
grp_view_contains (const GrpView *view,
                   GrpId          id)
{
  return view != NULL && grp_view_index (view, id) >= 0;
}

GrpId
grp_view_leader (const GrpView *view)
{
  return view->n_members > 0 ? view->members[0].id : 0;
}

gboolean
grp_view_equal (const GrpView *a,
                const GrpView *b)
{
  if (a->id != b->id || a->seq != b->seq || a->n_members != b->n_members)
    return FALSE;
  for (guint i = 0; i < a->n_members; i++)
    if (a->members[i].id != b->members[i].id ||
        g_strcmp0 (a->members[i].name, b->members[i].name) != 0 ||
        a->needs_state[i] != b->needs_state[i])
      return FALSE;
  return TRUE;
}

struct _GrpEntryBlock {
  guint ref;     /* references to its entries, and the filler's */
  guint n, used;
  GBytes *frame;
  GrpEntry entries[];
};

static GrpEntry *
entry_alloc (void)
{
  GrpEntry *entry = g_new0 (GrpEntry, 1);

  entry->ref = 1;
  return entry;
}

GrpEntry *
grp_entry_new_data (guint64 seq,
                    guint64 view_id,
                    GrpId   origin,
                    guint64 ctr,
                    GBytes *payload)
{
  GrpEntry *entry = entry_alloc ();

  entry->seq = seq;
  entry->view_id = view_id;
  entry->kind = GRP_ENTRY_DATA;
  entry->origin = origin;
  entry->ctr = ctr;
  entry->payload = payload ? g_bytes_ref (payload) : g_bytes_new (NULL, 0);
  return entry;
}

GrpEntry *
grp_entry_new_data_slice (guint64 seq,
                          guint64 view_id,
                          GrpId   origin,
                          guint64 ctr,
                          GBytes *frame,
                          gsize   off,
                          gsize   len)
{
  GrpEntry *entry = entry_alloc ();

  g_return_val_if_fail (off + len <= g_bytes_get_size (frame) && len <= G_MAXUINT32, entry);
  entry->seq = seq;
  entry->view_id = view_id;
  entry->kind = GRP_ENTRY_DATA;
  entry->origin = origin;
  entry->ctr = ctr;
  entry->frame = g_bytes_ref (frame);
  entry->off = (guint32) off;
  entry->len = (guint32) len;
  return entry;
}

GrpEntryBlock *
grp_entry_block_new (GBytes *frame,
                     guint   n)
{
  /* Not zeroed: a large block is mapped, and only the entries filled are
   * ever touched (the codec gives a count a peer announced, bounded). */
  GrpEntryBlock *block = g_malloc (sizeof *block + (gsize) n * sizeof (GrpEntry));

  block->ref = 1;
  block->n = n;
  block->used = 0;
  block->frame = g_bytes_ref (frame);
  return block;
}

GrpEntry *
grp_entry_block_add (GrpEntryBlock *block,
                     guint64        seq,
                     guint64        view_id,
                     GrpId          origin,
                     guint64        ctr,
                     gsize          off,
                     gsize          len)
{
  GrpEntry *entry;

  if (block->used == block->n)
    return NULL;
  g_return_val_if_fail (off + len <= g_bytes_get_size (block->frame) && len <= G_MAXUINT32,
                        NULL);
  entry = &block->entries[block->used++];
  *entry = (GrpEntry) {
    .seq = seq,
    .view_id = view_id,
    .kind = GRP_ENTRY_DATA,
    .origin = origin,
    .ctr = ctr,
    .frame = block->frame, /* the block's reference */
    .off = (guint32) off,
    .len = (guint32) len,
    .block = block,
  };
  block->ref++;
  return entry;
}

void
grp_entry_block_unref (GrpEntryBlock *block)
{
  g_return_if_fail (block->ref > 0);
  if (--block->ref > 0)
    return;
  g_bytes_unref (block->frame);
  g_free (block);
}

GrpEntry *
grp_entry_new_data_like (const GrpEntry *like,
                         guint64         seq,
                         guint64         view_id)
{
  if (like->frame != NULL)
    return grp_entry_new_data_slice (seq, view_id, like->origin, like->ctr, like->frame,
                                     like->off, like->len);
  return grp_entry_new_data (seq, view_id, like->origin, like->ctr, like->payload);
}

const guint8 *
grp_entry_get_data (const GrpEntry *entry,
                    gsize          *len)
{
  if (entry->frame != NULL)
    {
      *len = entry->len;
      return (const guint8 *) g_bytes_get_data (entry->frame, NULL) + entry->off;
    }
  if (entry->payload != NULL)
    return g_bytes_get_data (entry->payload, len);
  *len = 0;
  return NULL;
}

GBytes *
grp_entry_dup_payload (const GrpEntry *entry)
{
  if (entry->frame != NULL)
    return g_bytes_new_from_bytes (entry->frame, entry->off, entry->len);
  return entry->payload ? g_bytes_ref (entry->payload) : g_bytes_new (NULL, 0);
}

GrpEntry *
grp_entry_new_view (GrpView *view)
{
  GrpEntry *entry = entry_alloc ();

  entry->seq = view->seq;
  entry->view_id = view->id;
  entry->kind = GRP_ENTRY_VIEW;
  entry->view = grp_view_ref (view);
  return entry;
}

GrpEntry *
grp_entry_ref (GrpEntry *entry)
{
  if (entry->block != NULL)
    entry->block->ref++;
  else
    entry->ref++;
  return entry;
}

void
grp_entry_unref (GrpEntry *entry)
{
  if (entry->block != NULL)
    {
      grp_entry_block_unref (entry->block);
      return;
    }
  g_return_if_fail (entry->ref > 0);
  if (--entry->ref > 0)
    return;
  g_clear_pointer (&entry->payload, g_bytes_unref);
  g_clear_pointer (&entry->frame, g_bytes_unref);
  g_clear_pointer (&entry->view, grp_view_unref);
  g_free (entry);
}

int
grp_ballot_cmp (GrpBallot a,
                GrpBallot b)
{
  if (a.n != b.n)
    return a.n < b.n ? -1 : 1;
  if (a.id != b.id)
    return a.id < b.id ? -1 : 1;
  return 0;
}

static GPtrArray **
entries_of (GrpMsg *msg)
{
  switch (msg->type)
    {
    case GRP_MSG_REQ:
      return &msg->req.entries;
    case GRP_MSG_SEQ:
      return &msg->seq.entries;
    case GRP_MSG_PROMISE:
      return &msg->promise.entries;
    case GRP_MSG_ACCEPT:
      return &msg->accept.entries;
    case GRP_MSG_DECIDE:
      return &msg->decide.entries;
    default:
      return NULL;
    }
}

static void
msg_clear (gpointer data)
{
  GrpMsg *msg = data;
  GPtrArray **entries = entries_of (msg);

  if (entries != NULL)
    g_clear_pointer (entries, g_ptr_array_unref);
  switch (msg->type)
    {
    case GRP_MSG_JOIN:
      grp_member_clear (&msg->join.member);
      break;
    case GRP_MSG_JOIN_REFUSED:
      g_clear_pointer (&msg->join_refused.reason, g_free);
      break;
    case GRP_MSG_STATE:
      g_clear_pointer (&msg->state.state, g_bytes_unref);
      g_clear_pointer (&msg->state.seen, g_array_unref);
      break;
    case GRP_MSG_PROMISE:
      g_clear_pointer (&msg->promise.accepted, grp_view_unref);
      g_clear_pointer (&msg->promise.dead, g_array_unref);
      break;
    case GRP_MSG_ACCEPT:
      g_clear_pointer (&msg->accept.value, grp_view_unref);
      break;
    case GRP_MSG_DECIDE:
      g_clear_pointer (&msg->decide.view, grp_view_unref);
      break;
    case GRP_MSG_NOT_MEMBER:
      g_clear_pointer (&msg->not_member.view, grp_view_unref);
      break;
    default:
      break;
    }
}

GrpMsg *
grp_msg_new (GrpMsgType type,
             GrpId      from,
             guint64    view)
{
  GrpMsg *msg = g_rc_box_new0 (GrpMsg);

  msg->type = type;
  msg->from = from;
  msg->view = view;
  return msg;
}

GrpMsg *
grp_msg_ref (GrpMsg *msg)
{
  return g_rc_box_acquire (msg);
}

void
grp_msg_unref (GrpMsg *msg)
{
  g_rc_box_release_full (msg, msg_clear);
}

GPtrArray *
grp_msg_entries (GrpMsg *msg)
{
  GPtrArray **entries = entries_of (msg);

  if (entries == NULL)
    return NULL;
  if (*entries == NULL)
    *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) grp_entry_unref);
  return *entries;
}

void
grp_msg_add_entry (GrpMsg   *msg,
                   GrpEntry *entry)
{
  GPtrArray *entries = grp_msg_entries (msg);

  g_return_if_fail (entries != NULL);
  g_ptr_array_add (entries, grp_entry_ref (entry));
}

gsize
grp_msg_entries_size (GrpMsg *msg)
{
  GPtrArray **of = entries_of (msg);
  GPtrArray *entries = of != NULL ? *of : NULL;
  gsize size = 0;

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    size += grp_entry_size (g_ptr_array_index (entries, i));
  return size;
}

gsize
grp_entry_size (const GrpEntry *entry)
{
  /* Positions, ids, counters and lengths: a few dozen bytes at most. */
  gsize size = 40;

  if (entry->kind == GRP_ENTRY_DATA)
    {
      gsize len;

      grp_entry_get_data (entry, &len);
      return size + len;
    }
  size = GRP_VIEW_COST;
  for (guint i = 0; entry->view != NULL && i < entry->view->n_members; i++)
    size += GRP_VIEW_MEMBER_COST + strlen (entry->view->members[i].name) +
            (entry->view->members[i].addr != NULL ? strlen (entry->view->members[i].addr) : 0);
  return size;
}

const char *
grp_msg_type_name (GrpMsgType type)
{
  static const char *const names[GRP_MSG_LAST] = {
    [GRP_MSG_JOIN] = "JOIN",
    [GRP_MSG_JOIN_REFUSED] = "JOIN_REFUSED",
    [GRP_MSG_REQ] = "REQ",
    [GRP_MSG_SEQ] = "SEQ",
    [GRP_MSG_HB] = "HB",
    [GRP_MSG_ACK] = "ACK",
    [GRP_MSG_NAK] = "NAK",
    [GRP_MSG_STATE] = "STATE",
    [GRP_MSG_STATE_REQ] = "STATE_REQ",
    [GRP_MSG_LEAVE] = "LEAVE",
    [GRP_MSG_PREPARE] = "PREPARE",
    [GRP_MSG_PROMISE] = "PROMISE",
    [GRP_MSG_REJECT] = "REJECT",
    [GRP_MSG_ACCEPT] = "ACCEPT",
    [GRP_MSG_ACCEPTED] = "ACCEPTED",
    [GRP_MSG_DECIDE] = "DECIDE",
    [GRP_MSG_NEED_VIEW] = "NEED_VIEW",
    [GRP_MSG_NOT_MEMBER] = "NOT_MEMBER",
  };

  if (type <= 0 || type >= GRP_MSG_LAST)
    return "?";
  return names[type];
}
