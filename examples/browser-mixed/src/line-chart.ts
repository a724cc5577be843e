const SVG = 'http://www.w3.org/2000/svg';

/** One line of a {@link LineChart}: points (x, y); non-finite y values break the line. */
export interface Series {
  readonly id: string;
  readonly color: string;
  readonly xs: number[];
  readonly ys: number[];
}

/** Options of {@link LineChart}. */
export interface LineChartOptions {
  /** Axis title shown above the plot. */
  readonly title: string;
  /** Plot y on a log2 axis (the loss scale). Default false. */
  readonly log2?: boolean;
  /** Draw steps (hold each value until the next point) instead of straight segments. Default false. */
  readonly stepped?: boolean;
  /** Shown in the plot while it has no series. Default: nothing. */
  readonly emptyText?: string;
}

const W = 420;
const H = 200;
const PAD = {left: 52, right: 10, top: 24, bottom: 26};

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function formatTick(v: number, log2: boolean): string {
  if (log2) return `2^${Math.round(v)}`;
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

/**
 * A small SVG line chart that redraws itself at most once per animation frame. Each series is a
 * `path.series` with `data-series` (its id) and `data-points` (finite points drawn), so tests can
 * check from the DOM that it drew.
 */
export class LineChart {
  private readonly svg: SVGSVGElement;
  private readonly series = new Map<string, Series>();
  private pending = false;

  constructor(
    readonly figure: HTMLElement,
    private readonly options: LineChartOptions,
  ) {
    this.svg = el('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': options.title});
    figure.replaceChildren(this.svg);
    this.draw();
  }

  /** Removes every series. */
  clear(): void {
    this.series.clear();
    this.schedule();
  }

  /** Adds a point to series `id` (created with `color` on first use). */
  push(id: string, color: string, x: number, y: number): void {
    let s = this.series.get(id);
    if (s == null) {
      s = {id, color, xs: [], ys: []};
      this.series.set(id, s);
    }
    s.xs.push(x);
    s.ys.push(y);
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /** Draws now (also called on the next animation frame after each change). */
  draw(): void {
    const {log2 = false, stepped = false, title} = this.options;
    const ty = (y: number) => (log2 ? Math.log2(y) : y);
    let xMax = 1;
    let yMin = Number.POSITIVE_INFINITY;
    let yMax = Number.NEGATIVE_INFINITY;
    for (const s of this.series.values()) {
      s.xs.forEach((x, i) => {
        const y = ty(s.ys[i]!);
        if (!Number.isFinite(y)) return;
        xMax = Math.max(xMax, x);
        yMin = Math.min(yMin, y);
        yMax = Math.max(yMax, y);
      });
    }
    if (!Number.isFinite(yMin)) [yMin, yMax] = [0, 1];
    // A flat line sits in the middle of a range of ±1 (log2: a factor 2 either way); a flat 0
    // (no skipped steps) at the bottom of [0, 1].
    if (yMax - yMin < 1e-9) [yMin, yMax] = !log2 && yMin === 0 ? [0, 1] : [yMin - 1, yMax + 1];
    if (!log2 && yMin > 0 && yMin < 0.5 * yMax) yMin = 0;
    const px = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
    const py = (y: number) =>
      H - PAD.bottom - ((y - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);

    const nodes: SVGElement[] = [];
    const text = (x: number, y: number, s: string, anchor: string, cls = 'tick') => {
      const t = el('text', {x, y, 'text-anchor': anchor, class: cls});
      t.textContent = s;
      nodes.push(t);
    };
    text(PAD.left, 14, title, 'start', 'title');
    nodes.push(
      el('rect', {
        x: PAD.left,
        y: PAD.top,
        width: W - PAD.left - PAD.right,
        height: H - PAD.top - PAD.bottom,
        class: 'frame',
      }),
    );
    for (let i = 0; i <= 4; i++) {
      const y = yMin + ((yMax - yMin) * i) / 4;
      // log2 axes label powers of two only.
      if (log2 && Math.abs(y - Math.round(y)) > 1e-9) continue;
      text(PAD.left - 4, py(y) + 4, formatTick(y, log2), 'end');
    }
    text(PAD.left, H - 8, '0', 'start');
    text(W - PAD.right, H - 8, `step ${xMax}`, 'end');

    if (this.series.size === 0 && this.options.emptyText != null) {
      text(
        (W + PAD.left - PAD.right) / 2,
        (H + PAD.top - PAD.bottom) / 2,
        this.options.emptyText,
        'middle',
      );
    }
    for (const s of this.series.values()) {
      let d = '';
      let points = 0;
      let pen = false;
      s.xs.forEach((x, i) => {
        const y = ty(s.ys[i]!);
        if (!Number.isFinite(y)) {
          pen = false;
          return;
        }
        const X = px(x).toFixed(1);
        const Y = py(y).toFixed(1);
        if (!pen) d += `M${X} ${Y}`;
        else if (stepped) d += `H${X}V${Y}`;
        else d += `L${X} ${Y}`;
        pen = true;
        points++;
      });
      const path = el('path', {
        d,
        class: 'series',
        stroke: s.color,
        'data-series': s.id,
        'data-points': points,
      });
      nodes.push(path);
    }
    this.svg.replaceChildren(...nodes);
    this.figure.dataset.drawn = String(this.series.size);
  }
}
