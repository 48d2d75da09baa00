"""Media sources and sinks of the client: synthetic devices now, cameras and microphones to come."""
