"""The composite recorder: a process of its own that turns a room's captured tracks into one fragmented MP4.

``python -m meetdesk.recorder <recording dir>`` reads the job the server wrote there
(:class:`~meetdesk.core.recorder_protocol.RecorderJob`), follows the capture's WebM files as they grow, lays
the participants out (grid, speaker, single-speaker), mixes their audio and encodes H.264 plus AAC (or Opus)
into a fragmented MP4: a kill at any moment leaves a file that plays up to its last fragment. With
``--repair`` it makes the composite from tracks that are complete already (a server that stopped
mid-recording), as fast as it can.
"""
