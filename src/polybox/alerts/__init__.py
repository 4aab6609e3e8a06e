"""Alerts: tell the admin's webhook about ongoing problems, once per cool-down.

`conditions` finds the problems (tool failure rates, a sandbox without isolation, reviews
waiting), `formats` shapes a message (generic JSON, Slack, Discord), `delivery` POSTs it with
retries, and `monitor.AlertMonitor` is the background job the Instance runs. Messages carry
names and counts only, and pass through the secret redaction before they leave.
"""
