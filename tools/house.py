"""The shape of the house: reads kerasport/'s source (ast, nothing imported) and reports what breaks the floors.

Prints, per check: module-level import cycles (strongly connected components), imports of another module's
``_private`` names, star imports, files over the line limit, package faces (``__init__``) imported to
reach names a sibling module defines, and ground-floor (``kerasport/core``) imports of anything above it,
lazy ones included; then, for the record, package faces that hold code, the lazy (in-function) imports and
the cycles they would close.
Usage: ``python tools/house.py [--exclude PATH ...]``; the exit code is 1 when a check finds anything.
"""
import argparse
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "kerasport"
MAX_LINES = 800
GROUND = "kerasport.core"  # the ground floor: imports only itself and the backend choice below it
BASEMENT = "kerasport.backends"


def module_files(root=ROOT):
    """``{module name: file path relative to root}`` for every ``.py`` file of the package."""
    found = {}
    for folder, _, files in os.walk(os.path.join(root, PACKAGE)):
        for name in files:
            if name.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, name), root)
                parts = rel[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = rel
    return found


def _is_face(module, files):
    return files[module].endswith("__init__.py")


def _absolute(module, files, node):
    """The absolute name of an ``ImportFrom``'s module (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_face(module, files) else module.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _nearest(name, files):
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name or None


class _Imports(ast.NodeVisitor):
    """Collects ``(target module, imported name or None, lineno, lazy)`` for every import of one file."""

    def __init__(self, module, files):
        self.module, self.files, self.depth = module, files, 0
        self.found, self.stars, self.aliases, self.attributes = [], [], {}, []

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node):
        for alias in node.names:
            target = _nearest(alias.name, self.files)
            if target:
                self.found.append((target, None, node.lineno, self.depth > 0))
                if alias.asname:
                    self.aliases[alias.asname] = target

    def visit_ImportFrom(self, node):
        source = _absolute(self.module, self.files, node)
        if source.split(".")[0] != PACKAGE:
            return
        for alias in node.names:
            if alias.name == "*":
                self.stars.append((source, node.lineno))
                continue
            sub = f"{source}.{alias.name}"
            if sub in self.files:
                self.found.append((sub, None, node.lineno, self.depth > 0))
                self.aliases[alias.asname or alias.name] = sub
            else:
                self.found.append((_nearest(source, self.files), alias.name, node.lineno, self.depth > 0))

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.aliases:
            self.attributes.append((self.aliases[node.value.id], node.attr, node.lineno))
        self.generic_visit(node)


def _own_names(tree):
    """The names a module defines itself at its top level (functions, classes, assignments), not imports."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _private(name):
    return name.startswith("_") and not name.startswith("__")


def _same_package(a, b, files):
    """Whether module ``b`` is ``a`` itself, or a private module of ``a``'s own package."""
    package_a = a if _is_face(a, files) else a.rpartition(".")[0]
    return b == a or b.rpartition(".")[0] == package_a


def _strong_components(graph):
    """Tarjan's strongly connected components of more than one module (or a module importing itself)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                out.append(sorted(component))

    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def survey(root=ROOT, exclude=()):
    """The house's findings, a dict of lists; modules whose path starts with one of ``exclude`` are skipped
    as importers (they still count as import targets, so a cycle through them is reported among the rest)."""
    files = module_files(root)
    excluded = tuple(os.path.normpath(e) for e in exclude)
    skip = {m for m, path in files.items() if excluded and os.path.normpath(path).startswith(excluded)}
    graph, with_lazy, lazy, private, stars, long_files, faces, ground = {}, {}, [], [], [], [], [], []
    sources, trees = {}, {}
    for module, path in files.items():
        with open(os.path.join(root, path), encoding="utf-8") as f:
            sources[module] = f.read()
        trees[module] = ast.parse(sources[module], path)
    face_code = [f"{files[m]}: {', '.join(sorted(n for n in _own_names(t) if not _private(n)))}"
                 for m, t in sorted(trees.items())
                 if _is_face(m, files) and m not in skip and any(isinstance(node, (ast.FunctionDef, ast.ClassDef))
                                                                  and node.name != "__getattr__" for node in t.body)]
    for module, path in sorted(files.items()):
        if module in skip:
            continue
        visitor = _Imports(module, files)
        visitor.visit(trees[module])
        lines = sources[module].count("\n")
        if lines > MAX_LINES:
            long_files.append(f"{path}: {lines} lines")
        for target, name, lineno, is_lazy in visitor.found:
            where = f"{path}:{lineno}"
            if name is not None and _is_face(target, files) and not _is_face(module, files) \
                    and module.startswith(target + ".") and name not in _own_names(trees[target]):
                faces.append(f"{where}: {name} from the package face {target}")
            if name is not None and _private(name) and target != module:
                private.append(f"{where}: {target}.{name}")
            if name is None and _private(target.rpartition(".")[2]) and not _same_package(module, target, files):
                private.append(f"{where}: module {target}")
            if module.startswith(GROUND + ".") and not target.startswith((GROUND, BASEMENT)):
                ground.append(f"{where}: {target}")
            if is_lazy:
                lazy.append(f"{where}: {target}" + (f".{name}" if name else ""))
            if target != module:
                with_lazy.setdefault(module, set()).add(target)
                if not is_lazy:
                    graph.setdefault(module, set()).add(target)
        for target, attr, lineno in visitor.attributes:
            if _private(attr) and target != module and f"{target}.{attr}" not in files:
                private.append(f"{path}:{lineno}: {target}.{attr} (attribute)")
        stars += [f"{path}:{lineno}: from {source} import *" for source, lineno in visitor.stars]
    return {"cycles": [" <-> ".join(c) for c in _strong_components(graph)], "private imports": private,
            "star imports": stars, f"files over {MAX_LINES} lines": long_files,
            "package faces reached into": faces, "ground floor importing above it": ground,
            "package faces holding code (for the record)": face_code, "lazy imports (for the record)": lazy,
            "cycles counting lazy imports (for the record)": [" <-> ".join(c) for c in _strong_components(with_lazy)]}


FAULTS = ("cycles", "private imports", "star imports", f"files over {MAX_LINES} lines", "package faces reached into",
          "ground floor importing above it")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude", nargs="*", default=(), help="paths (relative to the repository) not checked")
    parser.add_argument("--summary", action="store_true", help="print only the counts")
    args = parser.parse_args(argv)
    found = survey(exclude=args.exclude)
    for title, items in found.items():
        print(f"{title}: {len(items)}")
        if not args.summary:
            for item in items:
                print(f"    {item}")
    return int(any(found[k] for k in FAULTS))


if __name__ == "__main__":
    sys.exit(main())
