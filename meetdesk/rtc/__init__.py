"""aiortc and media helpers shared by the server, the recorder and the client: SDP, clocks, guarded hooks
into aiortc internals, and the impairment harness that puts a participant behind a bad network."""
