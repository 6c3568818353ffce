"""The app and ``python -m core run`` are one pipeline: the same settings give the same scores."""
import json

from clikit import SCORE_KEYS, read_outputs


def test_the_map_cards_equal_the_cli_metrics_for_the_same_settings(fake_app, app_csv, cli, tmp_path):
    at = fake_app()  # the app's defaults, on app.csv with --fraction 1
    at.run()
    assert not at.exception and not at.error
    cards = {m.label: m.value for m in at.metric}

    result = cli("run", "--data", app_csv, "--fraction", "1", "--projection", "none", "--out", "out", timeout=600)
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert SCORE_KEYS <= set(metrics) and len(table) == 200
    expected = {"Silhouette (embeddings)": metrics["silhouette_raw"], "Davies-Bouldin (embeddings)":
                metrics["davies_bouldin_raw"], "ACC vs labels": metrics["acc"], "NMI vs labels": metrics["nmi"],
                "ARI vs labels": metrics["ari"]}
    assert cards == {label: f"{value:.3f}" for label, value in expected.items()}, json.dumps(metrics)
    latent = next(c.value for c in at.caption if c.value.startswith("In the encoder's latent space"))
    assert f"silhouette {metrics['silhouette']:.3f} · Davies-Bouldin {metrics['davies_bouldin']:.3f}" in latent
