/* Starts GraphiQL on /graphql. A static file, not an inline script, so the page
 * runs under a CSP without 'unsafe-inline'.
 *
 * Sign-in, either way:
 * - a Bearer token in the headers editor: {"Authorization": "Bearer <accessToken>"}.
 *   HTTP requests carry it as a header; subscriptions send it in the
 *   graphql-transport-ws connection_init payload, since browsers cannot set
 *   headers on a WebSocket.
 * - the session cookie of the admin login: the browser sends it on both; POSTs
 *   also need X-CSRFToken from the csrftoken cookie, which is added here.
 */
(function () {
  "use strict";

  // Lines of at most 30 characters: the editor shows 31 whole at 1280 px wide with the
  // Explorer open and a scrollbar showing (tests/e2e/graphiql_layout.mjs measures it).
  var EXAMPLE_QUERY = [
    "# Welcome to the social API.",
    "#",
    "# Sign in: run Login, below.",
    "# make run's demo accounts are",
    "# alice, bob, carol; password:",
    "# demo-password-123.",
    "# Then, in Headers (bottom):",
    "#  {\"Authorization\":",
    "#   \"Bearer <accessToken>\"}",
    "# Or sign in at /admin/: the",
    "# session cookie then works.",
    "#",
    "# Run: Ctrl-Enter. Complete:",
    "# Ctrl-Space. Docs, Explorer:",
    "# the bar on the left.",
    "",
    "mutation Login {",
    "  login(input: {",
    "    login: \"alice\"",
    "    password:",
    "      \"demo-password-123\"",
    "  }) {",
    "    accessToken",
    "    errors { message }",
    "  }",
    "}",
    "",
    "query PublicFeed {",
    "  publicFeed(first: 5) {",
    "    edges {",
    "      node {",
    "        body",
    "        createdAt",
    "        author {",
    "          username",
    "        }",
    "      }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");

  var parameters = new URLSearchParams(window.location.search);
  var fetchURL = window.location.href.split("?")[0].split("#")[0];
  var subscriptionURL = (function () {
    var url = new URL(fetchURL);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  })();

  function updateURL(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    var search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  function headerValue(headers, name) {
    var wanted = name.toLowerCase();
    for (var key in headers) {
      if (Object.prototype.hasOwnProperty.call(headers, key) && key.toLowerCase() === wanted) {
        return headers[key];
      }
    }
    return undefined;
  }

  // One fetcher (and so one WebSocket) per Authorization value: changing the
  // token in the headers editor opens a connection signed in as the new user.
  var fetchers = {};

  function fetcherFor(authorization) {
    var key = authorization || "";
    if (!fetchers[key]) {
      fetchers[key] = GraphiQL.createFetcher({
        url: fetchURL,
        subscriptionUrl: subscriptionURL,
        wsConnectionParams: authorization ? { authorization: authorization } : {},
      });
    }
    return fetchers[key];
  }

  function fetcher(graphQLParams, options) {
    var headers = Object.assign({}, (options && options.headers) || {});
    // Read at each request: signing in through /admin/ in another tab sets a new token.
    var csrfToken = Cookies.get("csrftoken");
    if (csrfToken && headerValue(headers, "X-CSRFToken") === undefined) {
      headers["X-CSRFToken"] = csrfToken;
    }
    var opts = Object.assign({}, options || {}, { headers: headers });
    return fetcherFor(headerValue(headers, "Authorization"))(graphQLParams, opts);
  }

  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    var query = React.useState(parameters.get("query") || EXAMPLE_QUERY);
    var variables = React.useState(parameters.get("variables") || undefined);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      query: query[0],
      variables: variables[0],
      onEditQuery: function (value) {
        query[1](value);
        updateURL("query", value);
      },
      onEditVariables: function (value) {
        variables[1](value);
        updateURL("variables", value);
      },
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Kept in localStorage so a reload keeps the sign-in; never put in the URL.
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
