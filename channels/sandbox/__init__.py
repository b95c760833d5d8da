"""A local stand-in for the platforms' HTTP APIs (WeChat, Weibo, Douyin, app).

Plain WSGI on the standard library, loopback only, importing no Django: start it
with ``manage.py sandbox`` or ``SandboxServer(port=0).start()`` and drive it with
:class:`channels.sandbox.client.SandboxClient`. See ``var/CONTRACT-sandbox.md``.
"""
