"""The simulcast side of the media router: which layer of each camera each subscriber gets, and the changes.

Mixed into :class:`~meetdesk.server.meeting.media.MediaRouter`. A subscriber's layers follow the tile sizes it
reports (``video_tiles``) and its downlink estimate (:mod:`meetdesk.server.meeting.downlink`, shared among the
cameras it gets by need: :func:`meetdesk.core.simulcast.share_estimate`) through
:func:`meetdesk.core.simulcast.choose_layer`; a change moves its sender to the
other layer's forwarder once that one has a keyframe (:func:`meetdesk.server.sfu.layers.switch_layer`), without a
renegotiation. When its share does not carry even the low layer (:func:`meetdesk.core.simulcast.video_fits`), that
camera's video is paused for it (nothing forwarded, audio goes on) and resumed at a keyframe when the estimate
recovers; the subscriber is told (``downlink``), and its tile says so.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from meetdesk.core.signalling import DownlinkState
from meetdesk.core.simulcast import CameraNeeds, Layer, choose_layer, layer_needs, share_estimate, video_fits
from meetdesk.server.meeting.downlink import Downlink
from meetdesk.server.meeting.engine import Participant
from meetdesk.server.sfu import Subscription
from meetdesk.server.sfu.layers import switch_layer

if TYPE_CHECKING:
    from meetdesk.server.meeting.peers import PeerMedia, Published

logger = logging.getLogger(__name__)

#: how long a change of layer waits for the other layer's keyframe before giving up (the old layer flows meanwhile)
LAYER_SWITCH_TIMEOUT_S = 3.0
#: after a change of layer that did not happen (no keyframe came), the layers are chosen again this much later
LAYER_RETRY_S = 0.5
#: the subscriber is told of a new estimate when it moved by this fraction or more
TELL_CHANGE: Final = 0.2


class SimulcastLayers:
    """Layer choice and changes, per subscriber (mixed into the media router, which gives ``_room_peers``)."""

    if TYPE_CHECKING:

        def _room_peers(self, room_id: str) -> list[tuple[Participant, PeerMedia]]: ...

    def _choose_layer(self, peer: PeerMedia, item: Published, share: int | None) -> Layer:
        if item.source != "camera":
            return Layer.FULL
        return choose_layer(
            has_low=item.has_low,
            tile=peer.tiles.get(item.identity),
            estimate_bps=share,
            current=peer.layers.get(item.key, Layer.FULL),
            full_bps=_layer_bps(item, Layer.FULL),
        )

    def _published_to(self, participant: Participant) -> dict[str, Published]:
        return {
            item.key: item
            for other, other_peer in self._room_peers(participant.room_id)
            if other is not participant
            for item in other_peer.published
        }

    @staticmethod
    def _camera_shares(peer: PeerMedia, cameras: Mapping[str, Published]) -> dict[str, int] | None:
        """The subscriber's estimate shared among ``cameras`` by need (None: not limited)."""
        if peer.downlink is None or peer.downlink.bps is None:
            return None
        return share_estimate(peer.downlink.bps, {key: _camera_needs(peer, item) for key, item in cameras.items()})

    def _subscribed_cameras(
        self, participant: Participant, peer: PeerMedia, published: Mapping[str, Published] | None = None
    ) -> dict[str, Published]:
        """The cameras ``peer`` gets, of what is published to it (``published``, or read now)."""
        if published is None:
            published = self._published_to(participant)
        return {
            key: published[key] for key in peer.subscriptions if key in published and published[key].source == "camera"
        }

    def _watch_downlink(self, participant: Participant, peer: PeerMedia, subscription: Subscription) -> None:
        """Read the subscriber's REMB on the sender of a video subscription."""
        if subscription.forwarder.kind != "video" or subscription.sender is None:
            return
        if peer.downlink is None:
            peer.downlink = Downlink(
                f"{participant.room_id}/{peer.identity}",
                on_change=lambda: self._apply_layers(participant, peer),
                wanted=lambda: self._wanted_bps(participant, peer),
                least=lambda: self._least_bps(participant, peer),
            )
        peer.downlink.watch(subscription.sender)

    def _wanted_bps(self, participant: Participant, peer: PeerMedia) -> int | None:
        """What the subscriber's link would have to carry for video to hold none of its cameras back (None: none
        is held back)."""
        total, held = 0, False
        for key, item in self._subscribed_cameras(participant, peer).items():
            needs = _camera_needs(peer, item)
            total += needs.most
            held = held or key in peer.paused or (needs.full is not None and peer.layers.get(key) is Layer.LOW)
        return total if held else None

    def _least_bps(self, participant: Participant, peer: PeerMedia) -> int | None:
        """What the subscriber's link must carry for the cameras it is shown to go on at their least layers."""
        cameras = self._subscribed_cameras(participant, peer)
        return sum(_camera_needs(peer, item).least for key, item in cameras.items() if key not in peer.paused) or None

    def _apply_layers(self, participant: Participant, peer: PeerMedia) -> None:
        """Pause, resume, or start a change of layer for every camera this participant gets otherwise than it
        should; tell it when the cameras paused for it or its estimate changed."""
        published = self._published_to(participant)
        shares = self._camera_shares(peer, self._subscribed_cameras(participant, peer, published))
        for key, subscription in list(peer.subscriptions.items()):
            item = published.get(key)
            if item is None or subscription.sender is None:
                continue
            share = None if shares is None else shares.get(key)
            if item.source == "camera":
                paused = key in peer.paused
                floor = Layer.LOW if item.has_low else Layer.FULL
                if not video_fits(share, paused=paused, layer=floor, layer_bps=_layer_bps(item, floor)):
                    if not paused:
                        logger.info("Room(%s) %s: %s paused (weak connection)", participant.room_id, peer.identity, key)
                        peer.paused.add(key)
                        self._cancel_switch(peer, key)
                        subscription.pause()
                    continue
                if paused:
                    logger.info("Room(%s) %s: %s resumes", participant.room_id, peer.identity, key)
                    peer.paused.discard(key)
            if key in peer.switching:
                continue
            layer = self._choose_layer(peer, item, share)
            if item.layer(layer) is not subscription.forwarder:
                # a paused subscription stays paused until the other layer's keyframe replaces it
                task = asyncio.create_task(
                    self._switch_layer(participant, peer, key, item, layer), name=f"layer-{peer.identity}-{key}"
                )
                peer.switching[key] = task
                task.add_done_callback(functools.partial(_forget_switch, peer, key))
            elif subscription.paused:
                subscription.resume()
        self._tell_downlink(participant, peer, published)

    def _tell_downlink(self, participant: Participant, peer: PeerMedia, published: Mapping[str, Published]) -> None:
        paused = tuple(sorted({published[key].identity for key in peer.paused if key in published}))
        limited = bool(paused) or (peer.downlink is not None and self._wanted_bps(participant, peer) is not None)
        bps = peer.downlink.bps if peer.downlink is not None else None
        told_paused, told_limited, told_bps = peer.told
        if paused == told_paused and limited == told_limited and (bps == told_bps or _near(bps, told_bps)):
            return
        peer.told = (paused, limited, bps)
        participant.send(DownlinkState(paused=list(paused), limited=limited, estimateBps=bps))

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
            if peer.subscriptions.get(key) is old and not old.closed:
                if old.paused and key not in peer.paused:
                    old.resume()  # no keyframe of the other layer came: this one goes on
                # and the change is tried again (once this task is over): nothing else may ask for it again
                asyncio.get_running_loop().call_later(LAYER_RETRY_S, self._retry_layers, participant, peer, key, old)
            return
        if key in peer.paused:
            new.pause()  # paused again while the switch waited
        peer.subscriptions[key] = new
        peer.layers[key] = Layer.LOW if target is item.low else Layer.FULL
        logger.info("Room(%s) %s gets %s at the %s layer", participant.room_id, peer.identity, key, peer.layers[key])
        self._apply_layers(participant, peer)  # the tiles may have changed again meanwhile

    def _retry_layers(self, participant: Participant, peer: PeerMedia, key: str, old: Subscription) -> None:
        if peer.subscriptions.get(key) is old and not old.closed and key not in peer.switching:
            self._apply_layers(participant, peer)

    def _cancel_switch(self, peer: PeerMedia, key: str) -> None:
        task = peer.switching.pop(key, None)
        if task is not None:
            task.cancel()


def _camera_needs(peer: PeerMedia, item: Published) -> CameraNeeds:
    """What ``item``'s camera needs of ``peer``'s estimate, by its state there (paused, on which layer)."""
    least = Layer.LOW if item.has_low else Layer.FULL
    needs = CameraNeeds(layer_needs(least, _layer_bps(item, least))[1 if item.key in peer.paused else 0])
    tile = peer.tiles.get(item.identity)
    if least is Layer.FULL or item.full_idle or (tile is not None and tile.small):
        return needs  # the least layer is all it gets
    back = peer.layers.get(item.key) is Layer.LOW or item.key in peer.paused
    return CameraNeeds(needs.least, layer_needs(Layer.FULL, _layer_bps(item, Layer.FULL))[1 if back else 0])


def _layer_bps(item: Published, layer: Layer) -> float | None:
    """The bit rate ``item``'s ``layer`` arrives at (None: not measured yet, or no such layer)."""
    forwarder = item.layer(layer)
    if layer is Layer.LOW and forwarder is not item.low:
        return None
    return forwarder.bitrate


def _near(bps: int | None, told_bps: int | None) -> bool:
    return bps is not None and told_bps is not None and abs(bps - told_bps) < TELL_CHANGE * told_bps


def _forget_switch(peer: PeerMedia, key: str, task: asyncio.Task[None]) -> None:
    if peer.switching.get(key) is task:
        del peer.switching[key]
    if not task.cancelled() and task.exception() is not None:
        logger.error("%s: a change of layer failed", peer.identity, exc_info=task.exception())
