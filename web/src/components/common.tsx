// Small building blocks shared by the pages: cards, stats, addresses, badges, loading and error states.
import type { ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { shortAddress, shortHash } from '../format.ts';

export function Card({ title, actions, children, testId, className }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`} data-testid={testId}>
      {(title || actions) && (
        <header className="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Stat({ label, value, testId, hint }: { label: string; value: ReactNode; testId: string; hint?: string }) {
  return (
    <div className="stat" title={hint}>
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

export function Address({ value, full = false }: { value: string | null | undefined; full?: boolean }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <code className="address" title={value}>
      {full ? value : shortAddress(value)}
    </code>
  );
}

export function Hash({ value }: { value: string }) {
  return (
    <code className="hash" title={value}>
      {shortHash(value)}
    </code>
  );
}

export function Badge({ tone = 'neutral', children, testId, title }: { tone?: 'neutral' | 'good' | 'bad' | 'mid' | 'info'; children: ReactNode; testId?: string; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId} title={title}>
      {children}
    </span>
  );
}

export function ErrorNote({ error }: { error: Error }) {
  const text = error instanceof ApiError ? `${error.code}: ${error.message}` : error.message;
  return (
    <div className="error-note" role="alert" data-testid="error">
      {text}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="loading">Loading {what}…</div>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
