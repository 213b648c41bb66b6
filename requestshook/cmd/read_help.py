# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The examples shown under the reading subcommands' ``--help``."""

FLOWS_EPILOG = """\
examples:
  requestshook flows
  requestshook flows --service swift-proxy-server --since 1h
  requestshook flows --grep a42bfade-78ec-4c95-b7b4-272ba265072c
  requestshook flows ctl1.log ctl2.log.1 ctl2.log.2.gz

Each row is one flow (one trace): its index (give it to `diagram`, `doc`,
...), when it started, the call that started it, how many calls (hops) it
made, the services it crossed, how long it took and how many calls failed
(an error event or a 5xx status).
"""

DIAGRAM_EPILOG = """\
examples:
  requestshook diagram                       # the last flow
  requestshook diagram 3 --variables         # flow 3, with its id table
  requestshook diagram 85499c14 --alias glance-api=glance
  requestshook diagram --no-placeholders --no-opt --log /tmp/rh.log
  requestshook diagram 1 ctl1.log cmp1.log   # a flow across two hosts

Paste the output into a ```mermaid block (mkdocs-material, GitHub) or
https://mermaid.live.  Ids in paths become named placeholders
(/v2/images/{image_id}); a service's own token fetch made while serving a
call is folded into `opt <service> token`.  An RPC cast is a `-)` arrow;
the work it caused sits in an `opt` block after its sender's answer.
"""

EPILOGS = {
    'markdown': """\
examples:
  requestshook markdown > body.md
  requestshook markdown 2 --alias openstack=client

One section per step, numbered as the diagram numbers its arrows, with
mkdocs-material tabs (=== "Header" / === "Body").
""",
    'log': """\
examples:
  requestshook log | less
  requestshook log 85499c14 -o log.md

Every request and response of the flow with headers and bodies, in the
order they happened (a call made while serving another sits between that
call's request and response).
""",
    'har': """\
examples:
  requestshook har -o flow.har

Open the file in a browser's developer tools (Network tab, "Import HAR").
""",
    'html': """\
examples:
  requestshook html -o flow.html && xdg-open flow.html

One page, working offline (mermaid is inside it): the diagram; click an
arrow to see that step's request and response.
""",
    'doc': """\
examples:
  requestshook doc -o docs/image/create \\
      --title "openstack image create" \\
      --command "openstack image create --file cirros.img cirros"

Writes DIR/index.md (title, command, diagram, steps, variables, per-step
sections, full log), DIR/diagram.md, body.md, log.md (the parts, for
mkdocs `--8<--` snippets), flow.html and flow.har.
""",
}

TAIL_EPILOG = """\
examples:
  requestshook tail              # the last 10 calls
  requestshook tail -f           # and every call as it ends
  requestshook tail -n 50 ctl1.log ctl2.log

One line per call when it ends: time, caller -> callee, method, path,
status, duration, trace.
"""
