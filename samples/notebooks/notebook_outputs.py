#!/usr/bin/env python3
"""Committed notebook outputs: record an executed notebook, check committed ones are current, and test the check.

The notebooks in this folder are committed with their outputs so a reader sees results and pictures without running
them. build.cmd runs each notebook once with dotnet-repl (``--output-format ipynb``) and hands the raw result to this
script (python3, standard library only):

  record     Copies the outputs of the executed notebook into the committed notebook's cells (sources, markdown and
             metadata stay byte for byte as committed), cleans them into the form a repository page renders (see
             clean_outputs), stores the SHA-256 of the code cells as executed in metadata.adrpo.executed_code_sha256,
             writes the result and a TRX with one result per code cell (an ``error`` output fails the cell), and with
             --write-back replaces the committed notebook (atomically, only when every cell passed).
  check      Fails for a committed notebook whose code cells no longer hash to the recorded value (code edited without
             a refresh), that has no recorded hash, no outputs, or an error output.
  self-test  Runs record and check on small synthetic notebooks and fails if check misses a stale notebook.

The hash covers only the code cells' sources, in order: SHA-256 of the UTF-8 JSON array of their texts (each source
joined into one string, CRLF turned into LF), written compactly (separators "," and ":", non-ASCII kept). Markdown and
metadata edits therefore do not make outputs stale; any code edit, added, removed or reordered code cell does.
"""

import argparse
import base64
import glob
import contextlib
import copy
import io
import hashlib
import json
import os
import re
import sys
import tempfile
import xml.etree.ElementTree
import xml.sax.saxutils

METADATA_KEY = "adrpo"
HASH_KEY = "executed_code_sha256"

# dotnet-interactive reports NuGet restores as a display that it keeps updating; dotnet-repl writes every update as
# its own output. Only the final "Installed Packages" display is kept.
PROGRESS_MARKER = "<strong>Installing Packages</strong>"

SVG_ELEMENT = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
SVG_ATTRIBUTE = re.compile(r"""\b(width|height)\s*=\s*['"]([^'"]*)['"]""")
SVG_TITLE = re.compile(r"<text\b[^>]*>(.*?)</text>", re.DOTALL)


def source_text(cell):
    """A cell's source as one string with LF line ends (nbformat allows a string or a list of lines)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    return source.replace("\r\n", "\n")


def code_sha256(notebook):
    """SHA-256 (hex) of the notebook's code-cell sources, as defined in the module docstring."""
    sources = [source_text(cell) for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    payload = json.dumps(sources, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_notebook(path):
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def notebook_text(notebook):
    """The committed notebooks' format: 2-space indent, UTF-8 kept, trailing newline (as VS Code writes them)."""
    return json.dumps(notebook, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path, text):
    """Writes text to path through a temporary file in the same folder and a rename, so readers never see half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        # mkstemp creates the file private (0600); the result gets the replaced file's mode, or the umask's default.
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def lines(text):
    """nbformat's multi-line string form: a list of lines that keep their line ends."""
    return text.splitlines(keepends=True)


class Sanitizer:
    """Replaces machine paths in output text: the repository root by <repo>, the home folder by ~."""

    def __init__(self, repo_root, home):
        self.replacements = []
        for path, name in ((repo_root, "<repo>"), (home, "~")):
            if path and len(path) > 1:
                path = os.path.abspath(path).rstrip("/\\")
                for variant in {path, path.replace("\\", "/"), path.replace("/", "\\")}:
                    self.replacements.append((variant, name))
        # Longest first, so the repository root wins over a home folder that contains it.
        self.replacements.sort(key=lambda pair: len(pair[0]), reverse=True)

    def __call__(self, text):
        text = text.replace("\r\n", "\n")
        for path, name in self.replacements:
            text = text.replace(path, name)
        return text


def svg_to_img(match):
    """An inline <svg> as an <img> with a data URI: repository pages sanitize or restyle inline SVG inside HTML, while
    an image data URI is rendered the way image/png outputs are (and the chart's CSS cannot leak into the page)."""
    svg = match.group(0)
    opening = svg[: svg.index(">") + 1]
    attributes = dict(SVG_ATTRIBUTE.findall(opening))
    title = SVG_TITLE.search(svg)
    alt = re.sub(r"<[^>]*>", "", title.group(1)) if title else "chart"
    if "xmlns=" not in opening:
        svg = svg.replace("<svg", "<svg xmlns='http://www.w3.org/2000/svg'", 1)
    try:
        xml.etree.ElementTree.fromstring(svg)  # an SVG image must be well-formed XML; inline HTML SVG need not be
    except xml.etree.ElementTree.ParseError:
        return match.group(0)
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    size = "".join(f" {name}='{attributes[name]}'" for name in ("width", "height") if name in attributes)
    return f"<img{size} alt={xml.sax.saxutils.quoteattr(alt)} src='data:image/svg+xml;base64,{encoded}'/>"


def joined(value):
    return "".join(value) if isinstance(value, list) else value


def clean_outputs(outputs, sanitize):
    """dotnet-repl's outputs in plain nbformat 4 form: progress displays dropped, LF line ends, machine paths replaced,
    inline SVG turned into image data URIs, text as lists of lines, base64 images as one string."""
    cleaned = []
    for output in outputs:
        kind = output.get("output_type")
        if kind in ("display_data", "execute_result"):
            data = {}
            for mime, value in output.get("data", {}).items():
                value = joined(value)
                if mime == "text/html" and PROGRESS_MARKER in value:
                    data = None
                    break
                if mime.startswith("image/") and mime != "image/svg+xml":
                    data[mime] = value.replace("\n", "").replace("\r", "")
                    continue
                if isinstance(value, str):
                    value = sanitize(value)
                    if mime == "text/html":
                        value = SVG_ELEMENT.sub(svg_to_img, value)
                    data[mime] = lines(value)
                else:
                    data[mime] = value  # JSON payloads (application/json) stay as they are
            if not data:
                continue
            result = {"output_type": kind, "data": data, "metadata": output.get("metadata", {})}
            if kind == "execute_result":
                result["execution_count"] = output.get("execution_count")
            cleaned.append(result)
        elif kind == "stream":
            text = sanitize(joined(output.get("text", "")))
            if cleaned and cleaned[-1]["output_type"] == "stream" and cleaned[-1]["name"] == output.get("name"):
                text = "".join(cleaned[-1]["text"]) + text  # one block per stream, as Jupyter shows it
                cleaned.pop()
            cleaned.append({"output_type": "stream", "name": output.get("name", "stdout"), "text": lines(text)})
        elif kind == "error":
            cleaned.append({
                "output_type": "error",
                "ename": output.get("ename", "Error"),
                "evalue": sanitize(output.get("evalue", "")),
                "traceback": [sanitize(line) for line in output.get("traceback", [])],
            })
        else:
            raise ValueError(f"unexpected output_type '{kind}' in the executed notebook")
    return cleaned


def merge(source, executed, sanitize):
    """The committed notebook with the executed notebook's outputs. Returns (notebook, failed cell numbers, code cells)."""
    cells, ran = source.get("cells", []), executed.get("cells", [])
    if len(cells) != len(ran):
        raise ValueError(f"the executed notebook has {len(ran)} cells, the notebook {len(cells)}; "
                         "the kernel probably stopped before the end")
    for number, (cell, result) in enumerate(zip(cells, ran), start=1):
        if cell.get("cell_type") != result.get("cell_type") or source_text(cell).rstrip() != source_text(result).rstrip():
            raise ValueError(f"cell {number} of the executed notebook is not the notebook's cell {number}")
    notebook = copy.deepcopy(source)
    failed, code_cells, count = [], 0, 0
    for number, (cell, result) in enumerate(zip(notebook["cells"], ran), start=1):
        if "id" not in cell:
            # nbformat 4.5 cell ids, placed after cell_type as Jupyter writes them; stable, so refreshes do not churn them
            kind, rest = cell.get("cell_type"), {key: value for key, value in cell.items() if key != "cell_type"}
            cell.clear()
            cell.update({"cell_type": kind, "id": f"cell-{number:02d}"}, **rest)
        if cell.get("cell_type") != "code":
            continue
        code_cells += 1
        count += 1
        cell["execution_count"] = count
        cell["outputs"] = clean_outputs(result.get("outputs", []), sanitize)
        if any(output["output_type"] == "error" for output in cell["outputs"]):
            failed.append(number)
    notebook.setdefault("metadata", {}).setdefault(METADATA_KEY, {})[HASH_KEY] = code_sha256(source)
    return notebook, failed, code_cells


def trx_text(run_name, results):
    """A minimal TRX (VSTest results) file: .ci/run reads its <Counters passed= failed=> like dotnet test's own."""
    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    esc = xml.sax.saxutils.quoteattr
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<TestRun id="00000000-0000-0000-0000-000000000000" name={esc(run_name)} '
           'xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">', "  <Results>"]
    for name, ok, message in results:
        outcome = "Passed" if ok else "Failed"
        if ok:
            out.append(f"    <UnitTestResult testName={esc(name)} outcome={esc(outcome)} />")
        else:
            out.append(f"    <UnitTestResult testName={esc(name)} outcome={esc(outcome)}><Output><ErrorInfo>"
                       f"<Message>{xml.sax.saxutils.escape(message)}</Message></ErrorInfo></Output></UnitTestResult>")
    out += ["  </Results>",
            f'  <ResultSummary outcome="{"Completed" if failed == 0 else "Failed"}">',
            f'    <Counters total="{len(results)}" executed="{len(results)}" passed="{passed}" failed="{failed}" />',
            "  </ResultSummary>", "</TestRun>", ""]
    return "\n".join(out)


def error_summary(cell):
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return "; ".join(f"{e.get('ename')}: {e.get('evalue', '').splitlines()[0] if e.get('evalue') else ''}" for e in errors)


def record(args):
    name = args.name
    source = read_notebook(args.source)
    code_numbers = [n for n, c in enumerate(source.get("cells", []), start=1) if c.get("cell_type") == "code"]
    try:
        executed = read_notebook(args.executed)
        notebook, failed, code_cells = merge(source, executed, Sanitizer(args.repo, os.path.expanduser("~")))
    except (OSError, ValueError) as problem:
        # No usable executed notebook (the kernel aborted, or cells do not line up): every code cell counts as failed.
        message = f"{args.executed}: {problem}"
        print(f"notebook_outputs: notebook {name}: {message}", file=sys.stderr)
        write_atomically(args.trx, trx_text(f"notebook {name}",
                                            [(f"{name} cell {n}", False, message) for n in code_numbers]))
        return 1
    results = []
    for number in code_numbers:
        cell = notebook["cells"][number - 1]
        results.append((f"{name} cell {number}", number not in failed, error_summary(cell)))
    if args.repl_status and not failed:
        # dotnet-repl failed without an error output in any cell (e.g. the kernel stopped): the run is not trusted.
        results.append((f"{name} run", False, f"dotnet-repl exited with status {args.repl_status}"))
        print(f"notebook_outputs: notebook {name}: dotnet-repl exited with status {args.repl_status} but no cell "
              "holds an error output", file=sys.stderr)
    write_atomically(args.trx, trx_text(f"notebook {name}", results))
    write_atomically(args.output, notebook_text(notebook))
    for number in failed:
        print(f"notebook_outputs: notebook {name}: cell {number} failed: {error_summary(notebook['cells'][number - 1])}",
              file=sys.stderr)
    print(f"notebook_outputs: notebook {name}: {code_cells - len(failed)} code cells passed, {len(failed)} failed")
    if failed or args.repl_status:
        if args.write_back:
            print(f"notebook_outputs: {args.write_back} was not refreshed because the run failed", file=sys.stderr)
        return 1
    if args.write_back:
        # The run used a snapshot (args.source); an edit made to the notebook meanwhile must not be overwritten.
        with open(args.source, "rb") as a, open(args.write_back, "rb") as b:
            if a.read() != b.read():
                print(f"notebook_outputs: {args.write_back} changed while it ran; not refreshed (run the target again)",
                      file=sys.stderr)
                return 1
        write_atomically(args.write_back, notebook_text(notebook))
        print(f"notebook_outputs: refreshed {args.write_back}")
    return 0


def problems(notebook):
    """Why a committed notebook's outputs are not current; empty when they are."""
    found = []
    recorded = notebook.get("metadata", {}).get(METADATA_KEY, {}).get(HASH_KEY)
    if not recorded:
        found.append(f"no metadata.{METADATA_KEY}.{HASH_KEY}: it was never refreshed")
    elif recorded != code_sha256(notebook):
        found.append("its code cells differ from the code that produced its outputs (code edited without a refresh)")
    code = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    if not any(c.get("outputs") for c in code):
        found.append("it has no outputs")
    failed = [n for n, c in enumerate(notebook.get("cells", []), start=1)
              if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    if failed:
        found.append(f"cell(s) {', '.join(map(str, failed))} hold error outputs")
    return found


def check(args):
    results = []
    paths = []
    for path in args.notebooks:  # a folder stands for its *.ipynb (Windows shells do not expand wildcards)
        paths += sorted(glob.glob(os.path.join(path, "*.ipynb"))) if os.path.isdir(path) else [path]
    for path in paths:
        try:
            found = problems(read_notebook(path))
        except (OSError, ValueError) as problem:
            found = [f"cannot be read: {problem}"]
        name = os.path.basename(path)
        message = f"{path}: " + "; ".join(found) if found else ""
        if found:
            print(f"notebook_outputs: {message}. Run ./build.cmd notebooks-refresh and commit the notebook.",
                  file=sys.stderr)
        else:
            print(f"notebook_outputs: {path}: committed outputs are current")
        results.append((f"committed outputs of {name} are current", not found, message))
    if args.trx:
        write_atomically(args.trx, trx_text("committed notebook outputs", results))
    return 0 if all(ok for _, ok, _ in results) else 1


def self_test(args):
    """record and check on synthetic notebooks: each case must give the expected verdict."""
    folder = tempfile.mkdtemp(prefix="notebook-outputs-self-test-")
    repo, home = os.path.join(folder, "repo"), os.path.expanduser("~")

    def code(text, outputs=None):
        return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [],
                "source": lines(text)}

    markdown = {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]}
    source = {"cells": [markdown, code("Console.WriteLine(1);\n"), code("var x = 2;")],
              "metadata": {"kernelspec": {"name": ".net-csharp"}}, "nbformat": 4, "nbformat_minor": 5}
    svg = "<svg width='40' height='20'><text x='1' y='1'>reward</text></svg>"
    executed = copy.deepcopy(source)
    executed["cells"][1]["outputs"] = [
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": [PROGRESS_MARKER]}},
        {"output_type": "stream", "name": "stdout", "text": ["1\r\n", f"{repo}/artifacts/x {home}/.nuget\r\n"]},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": [f"<div>{svg}</div>"]}}]

    def run_record(executed_notebook, write_back=None, repl_status=0):
        paths = {k: os.path.join(folder, k + ".ipynb") for k in ("source", "executed", "output")}
        with open(paths["source"], "w", encoding="utf-8") as stream:
            stream.write(notebook_text(source))
        with open(paths["executed"], "w", encoding="utf-8") as stream:
            stream.write(notebook_text(executed_notebook))
        trx = os.path.join(folder, "r.trx")
        quiet = io.StringIO()  # the failures provoked here are expected; their messages would only mislead a log reader
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            status = record(argparse.Namespace(name="t", source=paths["source"], executed=paths["executed"],
                                               output=paths["output"], trx=trx, repo=repo, write_back=write_back,
                                               repl_status=repl_status))
        with open(trx, encoding="utf-8") as stream:
            counters = re.search(r'passed="(\d+)" failed="(\d+)"', stream.read()).groups()
        return status, paths["output"], tuple(map(int, counters))

    cases = []

    def expect(name, condition):
        cases.append((f"notebook_outputs self-test: {name}", bool(condition), "" if condition else "unexpected verdict"))

    status, output, counters = run_record(executed)
    fresh = read_notebook(output)
    expect("a cleanly executed notebook records 2 passed code cells", status == 0 and counters == (2, 0))
    expect("a freshly recorded notebook passes check", problems(fresh) == [])
    expect("the recorded hash is the hash of the code cells", fresh["metadata"][METADATA_KEY][HASH_KEY] == code_sha256(source))
    outputs = fresh["cells"][1]["outputs"]
    expect("progress displays are dropped", len(outputs) == 2 and PROGRESS_MARKER not in json.dumps(outputs))
    expect("machine paths are replaced", "".join(outputs[0]["text"]) == "1\n<repo>/artifacts/x ~/.nuget\n")
    html = "".join(outputs[1]["data"]["text/html"])
    expect("inline SVG becomes an image data URI", "<svg" not in html and "data:image/svg+xml;base64," in html
           and "width='40'" in html and 'alt="reward"' in html)
    expect("sources, markdown and metadata stay as committed",
           [source_text(c) for c in fresh["cells"]] == [source_text(c) for c in source["cells"]]
           and fresh["metadata"]["kernelspec"] == source["metadata"]["kernelspec"])

    broken = SVG_ELEMENT.sub(svg_to_img, "<svg width='4'><br></svg>")
    expect("SVG that is not well-formed XML stays inline", broken == "<svg width='4'><br></svg>")

    edited = copy.deepcopy(fresh)
    edited["cells"][2]["source"] = ["var x = 3;"]
    expect("an edited code cell fails check", any("differ" in p for p in problems(edited)))
    added = copy.deepcopy(fresh)
    added["cells"].append(code("var y = 1;"))
    expect("an added code cell fails check", problems(added) != [])
    reordered = copy.deepcopy(fresh)
    reordered["cells"][1], reordered["cells"][2] = reordered["cells"][2], reordered["cells"][1]
    expect("reordered code cells fail check", problems(reordered) != [])
    crlf = copy.deepcopy(fresh)
    crlf["cells"][1]["source"] = ["Console.WriteLine(1);\r\n"]
    expect("CRLF line ends alone do not fail check", problems(crlf) == [])
    prose = copy.deepcopy(fresh)
    prose["cells"][0]["source"] = ["# Another title\n"]
    expect("a markdown edit does not fail check", problems(prose) == [])
    expect("a notebook without outputs fails check", any("no outputs" in p for p in problems(source)))
    unhashed = copy.deepcopy(fresh)
    del unhashed["metadata"][METADATA_KEY]
    expect("a notebook without a recorded hash fails check", any("never refreshed" in p for p in problems(unhashed)))

    failing = copy.deepcopy(executed)
    failing["cells"][2]["outputs"] = [{"output_type": "error", "ename": "Error", "evalue": "CS0103", "traceback": []}]
    target = os.path.join(folder, "committed.ipynb")
    with open(target, "w", encoding="utf-8") as stream:
        stream.write(notebook_text(source))
    status, output, counters = run_record(failing, write_back=target)
    expect("an error output fails its cell in the TRX", status == 1 and counters == (1, 1))
    expect("a failed run does not refresh the notebook", read_notebook(target) == source)
    expect("a recorded notebook with an error output fails check", any("error" in p for p in problems(read_notebook(output))))
    truncated = copy.deepcopy(executed)
    truncated["cells"].pop()
    status, _, counters = run_record(truncated)
    expect("a notebook the kernel did not finish fails every code cell", status == 1 and counters == (0, 2))
    status, _, counters = run_record(executed, write_back=target, repl_status=1)
    expect("a failed dotnet-repl run without error outputs fails and does not refresh",
           status == 1 and counters == (2, 1) and read_notebook(target) == source)
    status, _, _ = run_record(executed, write_back=target)
    expect("a clean run refreshes the notebook", status == 0 and problems(read_notebook(target)) == [])

    for path in sorted(os.listdir(folder), reverse=True):
        full = os.path.join(folder, path)
        if os.path.isfile(full):
            os.remove(full)
    os.rmdir(folder)

    for name, ok, _ in cases:
        print(f"{'passed' if ok else 'FAILED'}: {name}", file=sys.stdout if ok else sys.stderr)
    if args.trx:
        write_atomically(args.trx, trx_text("notebook_outputs self-test", cases))
    failed = sum(1 for _, ok, _ in cases if not ok)
    print(f"notebook_outputs self-test: {len(cases) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("record", help="merge an executed notebook's outputs into the notebook; write a TRX")
    p.add_argument("--name", required=True, help="notebook name used in the TRX and messages")
    p.add_argument("--source", required=True, help="the notebook as it was run (a snapshot of the committed file)")
    p.add_argument("--executed", required=True, help="dotnet-repl's --output-format ipynb result")
    p.add_argument("--output", required=True, help="where the executed, cleaned notebook is written")
    p.add_argument("--trx", required=True, help="where the TRX with one result per code cell is written")
    p.add_argument("--repo", default=os.getcwd(), help="repository root, replaced by <repo> in outputs (default: cwd)")
    p.add_argument("--repl-status", type=int, default=0, help="dotnet-repl's exit status; non-zero fails the run")
    p.add_argument("--write-back", help="committed notebook to replace when every cell passed and it still equals --source")
    p = commands.add_parser("check", help="fail when a committed notebook's outputs are stale or missing")
    p.add_argument("--trx", help="also write one TRX result per notebook here")
    p.add_argument("notebooks", nargs="+", help="notebook files, or folders whose *.ipynb are checked")
    p = commands.add_parser("self-test", help="check the checker on synthetic notebooks")
    p.add_argument("--trx", help="also write one TRX result per case here")
    args = parser.parse_args()
    return {"record": record, "check": check, "self-test": self_test}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
