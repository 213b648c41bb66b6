/*
 * Licensed under the Apache License, Version 2.0 (the "License"); you may
 * not use this file except in compliance with the License. You may obtain
 * a copy of the License at
 *
 *      http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 *
 * requestshook serve: the list of flows (live, through Server-Sent
 * Events), a flow's diagram with clickable arrows, the search.
 * Addresses: #/ (the list), #/flow/KEY, #/flow/KEY/step-N.
 * body[data-view] is "list" or "flow"; body[data-state] turns "listed"
 * or "rendered" (with data-messages, the arrows drawn) or "error".
 */
(function () {
  'use strict';

  var body = document.body;
  var tbody = document.querySelector('#flows tbody');
  var filters = document.getElementById('filters');
  var details = document.getElementById('details');
  var known = null;          // keys listed so far: new ones are marked
  var current = null;        // the flow shown: {key, data, selected}
  var renders = 0;
  var listTimer = null;
  var flowTimer = null;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function getJSON(url) {
    return fetch(url, {credentials: 'same-origin'}).then(function (r) {
      return r.json().then(function (value) {
        if (!r.ok) { throw new Error(value.error || r.statusText); }
        return value;
      });
    });
  }

  function duration(ms) {
    if (ms === null || ms === undefined) { return '?'; }
    return ms >= 10000 ? (ms / 1000).toFixed(1) + ' s'
                       : Math.round(ms) + ' ms';
  }

  function flowPath(key) {
    return '/api/flows/' + encodeURIComponent(key);
  }

  // The list -------------------------------------------------------------

  function filterQuery() {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(filters.elements, function (input) {
      if (input.name && input.value.trim()) {
        params.set(input.name, input.value.trim());
      }
    });
    return params.toString();
  }

  function showProgress(progress) {
    var status = document.getElementById('status');
    if (progress && progress.indexing && progress.total) {
      status.textContent = 'indexing the log: ' +
        Math.floor(100 * progress.read / progress.total) + '%';
    } else {
      status.textContent = 'live';
    }
  }

  function row(flow, fresh) {
    var tr = el('tr');
    tr.dataset.key = flow.key;
    if (flow.errors) { tr.classList.add('failed'); }
    if (fresh) { tr.classList.add('fresh'); }
    var cells = [
      [String(flow.index), 'num'],
      [(flow.start || '').replace('T', ' ').slice(0, 23)],
      [flow.root, 'root'],
      [flow.services.join(', ')],
      [String(flow.calls), 'num'],
      [duration(flow.duration_ms), 'num'],
      [flow.statuses.join(' ')],
      [String(flow.errors), 'num errors'],
      [flow.key.slice(0, 12), 'trace']
    ];
    cells.forEach(function (cell) { tr.appendChild(el('td', cell[0],
                                                      cell[1])); });
    tr.addEventListener('click', function () {
      window.location.hash = '#/flow/' + encodeURIComponent(flow.key);
    });
    return tr;
  }

  function loadList() {
    return getJSON('/api/flows?' + filterQuery()).then(function (data) {
      var seen = {};
      tbody.textContent = '';
      data.flows.forEach(function (flow) {
        seen[flow.key] = true;
        tbody.appendChild(row(flow, known !== null && !known[flow.key]));
      });
      known = Object.assign(known || {}, seen);
      document.getElementById('count').textContent =
        data.matched + ' of ' + data.total + ' flows' +
        (data.flows.length < data.matched ? ' (newest ' +
         data.flows.length + ' shown)' : '') +
        (data.forgotten ? '; ' + data.forgotten +
         ' older flows forgotten (--max-flows)' : '');
      showProgress(data.progress);
      if (data.error) {
        document.getElementById('status').textContent =
          'cannot read the log: ' + data.error;
      }
      body.dataset.flows = String(data.total);
      if (body.dataset.view === 'list') { body.dataset.state = 'listed'; }
    }).catch(function (error) {
      document.getElementById('count').textContent = String(error);
    });
  }

  function scheduleList() {
    if (listTimer) { return; }
    listTimer = setTimeout(function () { listTimer = null; loadList(); },
                           250);
  }

  filters.addEventListener('input', scheduleList);
  filters.addEventListener('reset', function () {
    setTimeout(loadList, 0);
  });
  filters.addEventListener('submit', function (e) {
    e.preventDefault();
    loadList();
  });

  // One flow ---------------------------------------------------------------

  function part(title, headers, text) {
    var box = el('div');
    box.appendChild(el('h4', title));
    box.appendChild(el('pre', headers || '(no headers)', 'headers'));
    box.appendChild(el('pre', text, 'body'));
    return box;
  }

  function show(index) {
    var step = current && current.data && current.data.steps[index];
    if (!step) { return; }
    current.selected = index;
    details.textContent = '';
    details.appendChild(el('h3', '(' + step.number + ') ' + step.title));
    details.appendChild(el('p', step.who, 'muted'));
    if (step.note) { details.appendChild(el('p', step.note)); }
    details.appendChild(part('Request: ' + step.request.title,
                             step.request.headers, step.request.body));
    if (step.response) {
      details.appendChild(part('Response: ' + step.response.title,
                               step.response.headers, step.response.body));
    }
    document.querySelectorAll('#diagram text.messageText').forEach(
      function (t, i) { t.classList.toggle('rh-selected', i === index); });
    body.dataset.step = String(step.number);
    history.replaceState(null, '', '#/flow/' +
                         encodeURIComponent(current.key) + '/step-' +
                         step.number);
  }

  function fail(error) {
    document.getElementById('flow-error').textContent =
      'The flow could not be shown: ' + (error && error.message || error);
    body.dataset.state = 'error';
  }

  function fillVariables(variables) {
    var table = document.getElementById('variables');
    var rows = table.querySelector('tbody');
    rows.textContent = '';
    variables.forEach(function (pair) {
      var tr = el('tr');
      var name = el('td');
      name.appendChild(el('code', pair[0]));
      tr.appendChild(name);
      tr.appendChild(el('td', pair[1]));
      rows.appendChild(tr);
    });
    table.hidden = variables.length === 0;
  }

  function draw(data, step) {
    renders += 1;
    return mermaid.render('rh-diagram-' + renders, data.diagram).then(
      function (result) {
        var box = document.getElementById('diagram');
        box.innerHTML = result.svg;
        var texts = box.querySelectorAll('text.messageText');
        var lines = box.querySelectorAll('.messageLine0, .messageLine1');
        [texts, lines].forEach(function (nodes) {
          nodes.forEach(function (node, index) {
            node.addEventListener('click', function () { show(index); });
          });
        });
        body.dataset.messages = String(texts.length);
        body.dataset.state = 'rendered';
        if (step !== null && step !== undefined) { show(step); }
      });
  }

  function loadFlow(key, step) {
    return getJSON(flowPath(key)).then(function (data) {
      if (!current || current.key !== key) { return; }   // moved away
      var same = current.data !== null;
      current.data = data;
      document.getElementById('flow-title').textContent = data.title;
      document.getElementById('flow-meta').textContent =
        '#' + data.index + ' \u00b7 trace ' + data.key + ' \u00b7 ' +
        (data.started_at || '') + ' \u00b7 ' + data.calls + ' calls \u00b7 ' +
        duration(data.duration_ms) + ' \u00b7 ' + data.errors +
        ' errors \u00b7 ' + data.services.join(', ') +
        (data.unreadable ? ' \u00b7 ' + data.unreadable +
         ' more events not loaded' : '');
      document.getElementById('download-har').href = flowPath(key) + '/har';
      document.getElementById('download-md').href =
        flowPath(key) + '/markdown';
      fillVariables(data.variables);
      document.getElementById('flow-error').textContent = '';
      if (!same) {
        details.textContent = '';
        details.appendChild(el('p', 'Click an arrow to see its request ' +
                               'and response.', 'muted'));
      }
      return draw(data, step !== null ? step : current.selected);
    }).catch(fail);
  }

  function scheduleFlow() {
    if (flowTimer) { return; }
    flowTimer = setTimeout(function () {
      flowTimer = null;
      if (current) {
        document.getElementById('flow-updated').textContent =
          'updated ' + new Date().toLocaleTimeString();
        loadFlow(current.key, null);
      }
    }, 500);
  }

  // Find by request id ------------------------------------------------------

  document.getElementById('find').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = document.getElementById('find-id').value.trim();
    var result = document.getElementById('find-result');
    if (!id) { return; }
    getJSON('/api/find?request_id=' + encodeURIComponent(id)).then(
      function (found) {
        result.textContent = 'flow #' + found.index;
        window.location.hash = '#/flow/' + encodeURIComponent(found.key);
      }).catch(function (error) { result.textContent = error.message; });
  });

  // Routing and live updates ------------------------------------------------

  function route() {
    var match = /^#\/flow\/([^/]+)(?:\/step-(\d+))?$/.exec(
      window.location.hash);
    var list = document.getElementById('list-view');
    var flow = document.getElementById('flow-view');
    body.dataset.state = 'loading';
    if (match) {
      var key = decodeURIComponent(match[1]);
      if (current && current.data && current.key === key &&
          body.dataset.view === 'flow') {
        body.dataset.state = 'rendered';
        return;
      }
      body.dataset.view = 'flow';
      list.hidden = true;
      flow.hidden = false;
      // Known before it is fetched: a change meanwhile fetches it again.
      current = {key: key, data: null, selected: null};
      document.getElementById('diagram').textContent = '';
      loadFlow(key, match[2] ? Number(match[2]) - 1 : null);
    } else {
      body.dataset.view = 'list';
      current = null;
      flow.hidden = true;
      list.hidden = false;
      loadList();
    }
  }

  function listen() {
    var source = new EventSource('/events');
    source.addEventListener('changed', function (e) {
      var change = JSON.parse(e.data);
      body.dataset.version = String(change.version);
      showProgress(change.progress);
      if (body.dataset.view === 'list') {
        scheduleList();
      } else if (current && (change.keys === null ||
                             change.keys.indexOf(current.key) >= 0)) {
        scheduleFlow();
      }
    });
    var greeted = false;
    source.addEventListener('hello', function (e) {
      body.dataset.version = String(JSON.parse(e.data).version);
      body.dataset.live = 'yes';
      if (greeted) {     // reconnected: what changed meanwhile is unknown
        if (body.dataset.view === 'list') { scheduleList(); }
        else { scheduleFlow(); }
      }
      greeted = true;
    });
    source.addEventListener('error', function () {
      body.dataset.live = 'no';
      document.getElementById('status').textContent =
        'disconnected, retrying';
    });
  }

  try {
    mermaid.initialize({startOnLoad: false, securityLevel: 'strict',
                        sequence: {useMaxWidth: false}});
  } catch (error) { fail(error); }
  window.addEventListener('hashchange', route);
  route();
  listen();
}());
