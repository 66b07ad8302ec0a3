"""ns-3-dce on the host's own glibc: everything glibc-specific in DCE's build, done by elfdce.

- `tree`: recognising a DCE source tree and the few anchors elfdce edits;
- `host`: the five host libraries as DCE sees them (exports, symbol addresses);
- `complete`: the table completed for the host (every host pair DCE does not define, routed to
  the host function of that version, to DCE's implementation of an alias, or to an adapter over
  the DCE function a successor replaced), data objects, removed declarations;
- `emit`: the generated headers and sources; `glue`: the link-time version glue that makes each
  name DCE defines export every host pair of it, the host's default as ``@@``;
- `verify`: a built replacement checked against the host; `prepare`: the edits to the tree
  (diff, apply, undo, check); `waf`: what the prepared wscript calls.
"""
