#!/usr/bin/python3
"""dispatcher/web/tools/make_outlines.py: writes dispatcher/web/outlines.json,
the map page's background: country borders and coastlines (world-atlas,
Natural Earth) and US state borders (us-atlas, Census), simplified.

Input: the project's own data/geo TopoJSON files (nothing is fetched). Output:
{"world": [arc, ...], "us_states": [arc, ...]} where an arc is a flat list
[lon0*100, lat0*100, lon1*100, lat1*100, ...] of integers (0.01 degree, ~1 km),
each arc drawn once (shared borders are not doubled), simplified with
Douglas-Peucker at --tol-world / --tol-us degrees. The page draws them as
polylines. Re-run after changing data/geo:

  dispatcher/web/tools/make_outlines.py data/geo dispatcher/web/outlines.json
"""
import json
import sys


def decode_arcs(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def used_arcs(geoms):
    ids = set()

    def walk(a):
        if isinstance(a, int):
            ids.add(a if a >= 0 else ~a)
        else:
            for b in a:
                walk(b)
    for g in geoms:
        walk(g.get("arcs", []))
    return ids


def simplify(pts, tol):
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        i, j = stack.pop()
        (x1, y1), (x2, y2) = pts[i], pts[j]
        dx, dy = x2 - x1, y2 - y1
        n2 = dx * dx + dy * dy
        best, bi = -1.0, -1
        for k in range(i + 1, j):
            px, py = pts[k]
            if n2 == 0:
                d = (px - x1) ** 2 + (py - y1) ** 2
            else:
                t = max(0, min(1, ((px - x1) * dx + (py - y1) * dy) / n2))
                d = (px - x1 - t * dx) ** 2 + (py - y1 - t * dy) ** 2
            if d > best:
                best, bi = d, k
        if bi > 0 and best > tol * tol:
            keep[bi] = True
            stack.append((i, bi))
            stack.append((bi, j))
    return [p for p, k in zip(pts, keep) if k]


def layer(topo, obj, tol):
    arcs = decode_arcs(topo)
    out = []
    for i in sorted(used_arcs(topo["objects"][obj]["geometries"])):
        pts = simplify(arcs[i], tol)
        flat = []
        last = None
        for x, y in pts:
            q = (round(x * 100), round(y * 100))
            if q != last:
                flat += q
                last = q
        if len(flat) >= 4:
            out.append(flat)
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    geo, dst = argv[1], argv[2]
    with open(f"{geo}/world-countries-10m.json") as f:
        world = json.load(f)
    with open(f"{geo}/us-counties-10m.json") as f:
        us = json.load(f)
    data = {"world": layer(world, "countries", 0.08), "us_states": layer(us, "states", 0.03)}
    with open(dst, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    n = sum(len(a) // 2 for v in data.values() for a in v)
    print(f"{dst}: {n} points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
