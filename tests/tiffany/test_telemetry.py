"""Built-in instruments and task dumps: what an operator reads to see inside the kernel."""

from __future__ import annotations

import io
import json
import time

import pytest

import tiffany
from tiffany import VirtualClock
from tiffany.telemetry import JsonTracer, Metrics, OpenTelemetrySpans, SlowStepDetector


async def _ok() -> int:
    await tiffany.sleep(1)
    return 1


async def _fails() -> None:
    await tiffany.sleep(1)
    raise ValueError("bad")


async def _forever() -> None:
    await tiffany.sleep(float("inf"))


async def _program() -> None:
    tasks = [await tiffany.spawn(_ok) for _ in range(3)]
    failing = await tiffany.spawn(_fails)
    stuck = await tiffany.spawn(_forever)
    for task in tasks:
        await task.join()
    await failing.wait()
    await stuck.cancel()


def test_metrics_count_tasks_steps_and_render_prometheus() -> None:
    metrics = Metrics()
    tiffany.run(_program, clock=VirtualClock(), instruments=[metrics])
    snap = metrics.snapshot()
    assert snap["tasks_spawned"] == 7  # main, 3 ok, failing, stuck, the shutdown coordinator
    assert snap["tasks_exited"] == 7
    assert snap["tasks_failed"] == 1
    assert snap["tasks_cancelled"] == 1
    assert snap["tasks_live"] == 0
    assert snap["steps"] == snap["step_seconds_buckets"]["+Inf"] > 0
    assert set(snap["ready_depth"]) == {"CRITICAL", "HIGH", "NORMAL", "LOW", "IDLE"}
    text = metrics.prometheus()
    assert "# TYPE tiffany_tasks_spawned_total counter" in text
    assert "tiffany_tasks_failed_total 1" in text
    assert 'tiffany_ready_depth{priority="NORMAL"} 0' in text
    assert f'tiffany_step_seconds_bucket{{le="+Inf"}} {snap["steps"]}' in text


def test_metrics_see_ready_depth_while_running() -> None:
    metrics = Metrics()

    async def main() -> dict[str, int]:
        for _ in range(4):
            await tiffany.spawn(tiffany.yield_now, priority=tiffany.Priority.LOW)
        return metrics.ready_depth()

    depth = tiffany.run(main, instruments=[metrics])
    assert depth["LOW"] == 4


def test_json_tracer_writes_one_event_per_line_with_virtual_times() -> None:
    out = io.StringIO()
    tiffany.run(_program, clock=VirtualClock(), instruments=[JsonTracer(out)])
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"
    exits = {e["name"]: e for e in events if e["event"] == "exited"}
    assert exits["_fails"]["state"] == "failed"
    assert exits["_fails"]["error"] == "ValueError: bad"
    assert exits["_fails"]["time"] == 1.0
    assert exits["_forever"]["state"] == "cancelled"


def test_json_tracer_records_emitted_events() -> None:
    out = io.StringIO()

    async def main() -> None:
        tiffany.emit("model.call", model="scripted", tokens=12)

    tiffany.run(main, instruments=[JsonTracer(out)])
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    call = next(e for e in events if e["event"] == "model.call")
    assert call["tokens"] == 12 and call["model"] == "scripted"


def test_dump_tasks_shows_state_waits_and_the_line_a_task_waits_on() -> None:
    async def waits_on_event(event: tiffany.Event) -> None:
        await event.wait()  # the line the dump must point at

    async def main() -> list[tiffany.debug.TaskInfo]:
        event = tiffany.Event()
        await tiffany.spawn(waits_on_event, event, name="stuck", priority=tiffany.Priority.HIGH)
        await tiffany.yield_now()
        infos = tiffany.dump_tasks()
        event.set()
        return infos

    infos = tiffany.run(main)
    stuck = next(info for info in infos if info.name == "stuck")
    assert stuck.state == "blocked"
    assert stuck.waiting_on == "event"
    assert stuck.priority == "HIGH"
    assert any("test_telemetry.py" in frame and "waits_on_event" in frame for frame in stuck.stack)
    text = tiffany.format_task_dump(infos)
    assert "task" in text and "'stuck'" in text and "waiting on event" in text
    main_info = next(info for info in infos if info.name == "main")
    assert main_info.state == "running"


def test_slow_step_detector_names_the_task_and_the_line() -> None:
    detector = SlowStepDetector(threshold=0.05)

    async def hog() -> None:
        time.sleep(0.08)  # holds the loop: exactly what the detector is for
        await tiffany.yield_now()

    async def main() -> None:
        await (await tiffany.spawn(hog, name="hog")).join()

    tiffany.run(main, instruments=[detector])
    assert len(detector.slow) == 1
    _task_id, name, elapsed, where = detector.slow[0]
    assert name == "hog"
    assert elapsed >= 0.05
    assert where is not None and "test_telemetry.py" in where and "hog" in where


def test_opentelemetry_spans_one_per_task() -> None:
    sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
    export = pytest.importorskip("opentelemetry.sdk.trace.export")
    in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
    from opentelemetry import trace

    exporter = in_memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    tiffany.run(_program, clock=VirtualClock(), instruments=[OpenTelemetrySpans()])
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert "task _fails" in spans
    assert spans["task _fails"].status.status_code.name == "ERROR"
    assert spans["task _ok"].attributes["tiffany.task.state"] == "finished"
