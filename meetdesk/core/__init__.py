"""Pure-Python domain of MeetDesk: models, validation, permissions and rules shared by server and client.

Nothing in this package touches Qt, the network or a database.
"""
