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

"""One self-contained HTML page: the diagram, and each step on click.

The page carries mermaid itself (``static/mermaid.min.js``, no CDN), the
diagram's source and every step's request and response, so it works
offline and can be mailed.  Clicking an arrow shows that step's headers
and bodies; ``#step-N`` in the address opens step N.
``body[data-state]`` turns ``rendered`` (with
``data-messages`` = the number of arrows drawn) or ``error``.
"""

import html
import json
import os

from requestshook.reading import flow as flow_module
from requestshook.render import bodies
from requestshook.render import markdown
from requestshook.render import mermaid

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')
MERMAID_JS = os.path.join(STATIC, 'mermaid.min.js')

# Keep the bundled script from ending or escaping its <script> element:
# in JS strings and regular expressions "\x3C" is "<" all the same.
_SCRIPT_UNSAFE = (('<!--', '\\x3C!--'), ('</script', '\\x3C/script'),
                  ('<script', '\\x3Cscript'))

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; }
#diagram svg { max-width: none; }
#diagram text.messageText, #diagram .messageLine0, #diagram .messageLine1
  { cursor: pointer; }
#diagram .rh-selected { fill: #c0392b !important; font-weight: bold; }
#error { color: #c0392b; white-space: pre-wrap; }
#details { border-top: 1px solid #ccc; margin-top: 1em; }
#details pre { background: #f6f8fa; padding: .6em; overflow-x: auto;
  white-space: pre-wrap; word-break: break-all; }
#details h3 { margin-bottom: .2em; }
.who { color: #555; }
"""

APP = r"""
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('flow-data').textContent);
  var details = document.getElementById('details');
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function part(title, headers, body) {
    var box = el('div');
    box.appendChild(el('h4', title));
    box.appendChild(el('pre', headers || '(no headers)'));
    box.appendChild(el('pre', body));
    return box;
  }
  function show(index) {
    var step = data.steps[index];
    if (!step) { return; }
    details.textContent = '';
    details.appendChild(el('h3', '(' + step.number + ') ' + step.title));
    details.appendChild(el('p', step.who, 'who'));
    if (step.note) { details.appendChild(el('p', step.note)); }
    details.appendChild(part('Request: ' + step.request.title,
                             step.request.headers, step.request.body));
    if (step.response) {
      details.appendChild(part('Response: ' + step.response.title,
                               step.response.headers, step.response.body));
    }
    var texts = document.querySelectorAll('#diagram text.messageText');
    texts.forEach(function (t, i) {
      t.classList.toggle('rh-selected', i === index);
    });
    details.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  }
  function fail(error) {
    document.getElementById('error').textContent =
      'The diagram could not be drawn: ' + (error && error.message || error);
    document.body.setAttribute('data-state', 'error');
  }
  try {
    mermaid.initialize({startOnLoad: false, securityLevel: 'strict',
                        sequence: {useMaxWidth: false}});
  } catch (error) { fail(error); return; }
  mermaid.parse(data.diagram).then(function () {
    return mermaid.render('requestshook-diagram', data.diagram);
  }).then(function (result) {
    var box = document.getElementById('diagram');
    box.innerHTML = result.svg;
    var texts = box.querySelectorAll('text.messageText');
    var lines = box.querySelectorAll('.messageLine0, .messageLine1');
    [texts, lines].forEach(function (nodes) {
      nodes.forEach(function (node, index) {
        node.addEventListener('click', function () { show(index); });
      });
    });
    document.body.setAttribute('data-messages', String(texts.length));
    document.body.setAttribute('data-state', 'rendered');
    var linked = /^#step-(\d+)$/.exec(window.location.hash);
    if (linked && texts[linked[1] - 1]) {
      texts[linked[1] - 1].dispatchEvent(new MouseEvent('click'));
    }
  }).catch(fail);
}());
"""


def _script_safe(source):
    for unsafe, safe in _SCRIPT_UNSAFE:
        source = source.replace(unsafe, safe)
    return source


def mermaid_script():
    with open(MERMAID_JS, encoding='utf-8') as stream:
        return _script_safe(stream.read())


def _json_for_script(value):
    return json.dumps(value, ensure_ascii=False).replace(
        '<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')


def _part(title, headers, body):
    return {'title': title, 'headers': bodies.header_lines(headers),
            'body': bodies.render(body, headers)}


def steps(sequence, people, placeholders):
    """What a click on each arrow shows, in the order they are drawn."""
    result = []
    for message in sequence.arrows:
        hop = message.hop
        request = _part('%s %s' % (hop.method, hop.url),
                        hop.request_headers, hop.request_body)
        response = None
        if hop.answered and not hop.is_cast:
            response = _part('%s %s' % (flow_module.status_text(hop),
                                        hop.url),
                             hop.response_headers, hop.response_body)
        note = markdown.timing_text(hop)
        if hop.is_cast:
            note = markdown.cast_text(
                hop, sequence, lambda name: people.aliases.get(name, name))
        elif not hop.answered:
            note = 'No response was recorded.'
        result.append({
            'number': message.number,
            'kind': message.kind,
            'title': mermaid.message_label(message, placeholders),
            'who': '%s -> %s' % (people.aliases.get(message.source,
                                                    message.source),
                                 people.aliases.get(message.target,
                                                    message.target)),
            'note': note,
            'request': request,
            'response': response,
        })
    return result


def render(sequence, aliases=None, placeholders=None, title=None):
    """The page, as one string."""
    if placeholders is None:
        placeholders = mermaid.placeholders_for(sequence)
    people = mermaid.Participants(sequence.participants, aliases)
    diagram = mermaid.render(sequence, aliases, placeholders)
    title = title or sequence.flow.root_call or sequence.flow.key
    data = {'diagram': diagram,
            'steps': steps(sequence, people, placeholders)}
    table = placeholders.table()
    variables = ''
    if table:
        rows = ''.join('<tr><td><code>%s</code></td><td>%s</td></tr>'
                       % (html.escape(name), html.escape(value))
                       for name, value in placeholders.values.items())
        variables = ('<table><tr><th>variables</th><th>values</th></tr>'
                     '%s</table>' % rows)
    return ''.join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="generator" content="requestshook">\n',
        '<title>%s</title>\n' % html.escape(title),
        '<style>%s</style>\n</head>\n' % STYLE,
        '<body data-state="loading">\n',
        '<h1>%s</h1>\n' % html.escape(title),
        '<p class="who">trace %s &middot; %d calls &middot; %s</p>\n' % (
            html.escape(sequence.flow.key), len(sequence.hops),
            html.escape(', '.join(people.aliases.get(n, n)
                                  for n in sequence.participants))),
        '<div id="error"></div>\n<div id="diagram"></div>\n',
        variables,
        '<section id="details"><p>Click an arrow to see its request and '
        'response.</p></section>\n',
        '<script type="application/json" id="flow-data">',
        _json_for_script(data), '</script>\n',
        '<script>', mermaid_script(), '</script>\n',
        '<script>', APP, '</script>\n',
        '</body>\n</html>\n',
    ])
