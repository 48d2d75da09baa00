"""Recordings on the server side: capture of the forwarded tracks (:mod:`.capture`)."""
