from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"

    def ready(self) -> None:
        from graph.persisted import check_configuration

        # A trusted-documents manifest that cannot be read stops the server at startup.
        check_configuration()
