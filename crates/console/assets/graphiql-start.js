// Starts GraphiQL on the page served at GET /graphql (its assets come from this server, never a CDN).
// The query to show first can be given as ?query=… ; the request headers (an `Authorization: Bearer …`
// token) are typed into GraphiQL's headers editor and kept in this browser's local storage by GraphiQL.
(function () {
  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      query: params.get('query') || undefined,
      shouldPersistHeaders: false,
    })
  );
})();
