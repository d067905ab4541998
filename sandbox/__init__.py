"""`python bot.py --sandbox`: the real bot in SimCord's simulated Discord, in a browser.

server.py starts, drives and serves it; seed.py builds the demo server and its week.
"""
