"""The kiosk fleet on the server: enrolment, credentials, heartbeats, remote actions (``service``), and the
kiosks' live sockets (``links``)."""
