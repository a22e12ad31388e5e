"""Drop repeated <script> entries from each page (a build-time workaround).

sphinx-thebe adds its configuration snippet (``const THEBE_JS_URL = ...``) once per reading pass, and a
jupyter-book build can have two; the second copy makes browsers throw "Identifier 'THEBE_JS_URL' has
already been declared" on every page. This keeps the first copy of every identical script.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # the same snippet may come once with filename None and once with "": compare by content
        key = (getattr(script, "filename", str(script)) or "", getattr(script, "attributes", {}).get("body", ""))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
