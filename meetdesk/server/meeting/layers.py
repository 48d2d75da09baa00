"""The simulcast side of the media router: which layer of each camera each subscriber gets, and the changes.

Mixed into :class:`~meetdesk.server.meeting.media.MediaRouter`. A subscriber's layers follow the tile sizes it
reports (``video_tiles``) through :func:`meetdesk.core.simulcast.choose_layer`; a change moves its sender to the
other layer's forwarder once that one has a keyframe (:func:`meetdesk.server.sfu.layers.switch_layer`), without a
renegotiation.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from meetdesk.core.simulcast import Layer, choose_layer
from meetdesk.server.meeting.engine import Participant
from meetdesk.server.sfu.layers import switch_layer

if TYPE_CHECKING:
    from meetdesk.server.meeting.media import PeerMedia, Published

logger = logging.getLogger(__name__)

#: how long a change of layer waits for the other layer's keyframe before giving up (the old layer flows meanwhile)
LAYER_SWITCH_TIMEOUT_S = 3.0


class SimulcastLayers:
    """Layer choice and changes, per subscriber (mixed into the media router, which gives ``_room_peers``)."""

    if TYPE_CHECKING:

        def _room_peers(self, room_id: str) -> list[tuple[Participant, PeerMedia]]: ...

    def _choose_layer(self, peer: PeerMedia, item: Published) -> Layer:
        if item.source != "camera":
            return Layer.FULL
        return choose_layer(
            has_low=item.has_low,
            tile=peer.tiles.get(item.identity),
            estimate_bps=None,
            current=peer.layers.get(item.key, Layer.FULL),
        )

    def _apply_layers(self, participant: Participant, peer: PeerMedia) -> None:
        """Start a change of layer for every camera this participant gets at another layer than it should."""
        published = {
            item.key: item
            for other, other_peer in self._room_peers(participant.room_id)
            if other is not participant
            for item in other_peer.published
        }
        for key, subscription in peer.subscriptions.items():
            item = published.get(key)
            if item is None or subscription.sender is None or key in peer.switching:
                continue
            layer = self._choose_layer(peer, item)
            if item.layer(layer) is not subscription.forwarder:
                task = asyncio.create_task(
                    self._switch_layer(participant, peer, key, item, layer), name=f"layer-{peer.identity}-{key}"
                )
                peer.switching[key] = task
                task.add_done_callback(functools.partial(_forget_switch, peer, key))

    async def _switch_layer(
        self, participant: Participant, peer: PeerMedia, key: str, item: Published, layer: Layer
    ) -> None:
        """Move ``key``'s subscription to ``layer`` at that layer's next keyframe (asked for now)."""
        old = peer.subscriptions.get(key)
        target = item.layer(layer)
        if old is None:
            return
        new = await switch_layer(
            old, target, still_current=lambda: peer.subscriptions.get(key) is old, timeout=LAYER_SWITCH_TIMEOUT_S
        )
        if new is None:
            return
        peer.subscriptions[key] = new
        peer.layers[key] = Layer.LOW if target is item.low else Layer.FULL
        logger.info("Room(%s) %s gets %s at the %s layer", participant.room_id, peer.identity, key, peer.layers[key])
        self._apply_layers(participant, peer)  # the tiles may have changed again meanwhile

    def _cancel_switch(self, peer: PeerMedia, key: str) -> None:
        task = peer.switching.pop(key, None)
        if task is not None:
            task.cancel()


def _forget_switch(peer: PeerMedia, key: str, task: asyncio.Task[None]) -> None:
    if peer.switching.get(key) is task:
        del peer.switching[key]
    if not task.cancelled() and task.exception() is not None:
        logger.error("%s: a change of layer failed", peer.identity, exc_info=task.exception())
