// Starts GraphiQL on the page. A file of its own, not an inline script, so the page's
// Content-Security-Policy can allow scripts from this origin only.
(function () {
  'use strict';
  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    // The server answers every request in one piece (no @defer or @stream).
    enableIncrementalDelivery: false,
  });
  var defaultQuery = [
    '# Docs (top left) lists every type and field.',
    '{',
    '  areas(level: REGION) {',
    '    totalCount',
    '    edges { node { code name } }',
    '  }',
    '}',
    '',
  ].join('\n');
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery })
  );
})();
