// Trust score drawn two ways: a compact bar for tables, a gauge for the agent page. Confidence (how
// much of the score is evidence rather than the neutral prior) fades the bar so weak scores look weak.
import { percent, score, scoreTone } from '../format.ts';

export function TrustBar({ value, confidence, testId }: { value: number; confidence: number; testId?: string }) {
  const tone = scoreTone(value);
  return (
    <div className="trust-bar" data-testid={testId} title={`trust ${score(value)}/100, confidence ${percent(confidence)}`}>
      <div className="trust-bar-track">
        <div className={`trust-bar-fill tone-${tone}`} style={{ width: `${Math.min(100, Math.max(0, value))}%`, opacity: 0.35 + 0.65 * confidence }} />
      </div>
      <span className={`trust-bar-value tone-${tone}-text`}>{score(value)}</span>
    </div>
  );
}

/** Semicircle gauge, 0 on the left, 100 on the right. */
export function TrustGauge({ value, confidence }: { value: number; confidence: number }) {
  const v = Math.min(100, Math.max(0, value));
  const r = 80;
  const cx = 100;
  const cy = 96;
  const angle = Math.PI * (1 - v / 100);
  const x = cx + r * Math.cos(angle);
  const y = cy - r * Math.sin(angle);
  const arc = (toX: number, toY: number) => `M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${toX.toFixed(2)} ${toY.toFixed(2)}`;
  const tone = scoreTone(v);
  return (
    <div className="trust-gauge" data-testid="trust-gauge">
      <svg viewBox="0 0 200 110" role="img" aria-label={`trust score ${score(v)} of 100`}>
        <path d={arc(cx + r, cy)} className="gauge-track" />
        {v > 0 && <path d={arc(x, y)} className={`gauge-fill tone-${tone}-stroke`} />}
        <circle cx={x} cy={y} r={6} className={`gauge-knob tone-${tone}-fill`} />
      </svg>
      <div className="trust-gauge-label">
        <span className={`trust-gauge-score tone-${tone}-text`} data-testid="agent-trust-score">
          {score(v)}
        </span>
        <span className="muted">/ 100</span>
      </div>
      <div className="trust-gauge-confidence">
        confidence <strong data-testid="agent-trust-confidence">{percent(confidence)}</strong>
        <div className="confidence-track">
          <div className="confidence-fill" style={{ width: percent(confidence) }} />
        </div>
      </div>
    </div>
  );
}
