/** Small line icons drawn inline: no icon font, no remote assets. */
const common = { width: 16, height: 16, viewBox: '0 0 16 16', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': true } as const;

export function OverviewIcon() {
  return (
    <svg {...common}>
      <rect x="2" y="2" width="5" height="5" rx="1" />
      <rect x="9" y="2" width="5" height="5" rx="1" />
      <rect x="2" y="9" width="5" height="5" rx="1" />
      <rect x="9" y="9" width="5" height="5" rx="1" />
    </svg>
  );
}

export function ConnectionsIcon() {
  return (
    <svg {...common}>
      <ellipse cx="8" cy="3.5" rx="5" ry="1.8" />
      <path d="M3 3.5v9c0 1 2.2 1.8 5 1.8s5-.8 5-1.8v-9" />
      <path d="M3 8c0 1 2.2 1.8 5 1.8s5-.8 5-1.8" />
    </svg>
  );
}

export function AuditIcon() {
  return (
    <svg {...common}>
      <path d="M4 1.8h6l3 3v9.4H4z" />
      <path d="M6 7h5M6 9.5h5M6 12h3" />
    </svg>
  );
}

export function LogoMark() {
  return (
    <svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true">
      <circle cx="11" cy="11" r="9.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
      <path d="M11 5.5V11l3.6 2.4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
  );
}

export function ChevronIcon({ open }: { open: boolean }) {
  return (
    <svg {...common} width={12} height={12} style={{ transform: open ? 'rotate(90deg)' : undefined, transition: 'transform 120ms' }}>
      <path d="M6 4l4 4-4 4" />
    </svg>
  );
}

export function StreamsIcon() {
  return (
    <svg {...common}>
      <path d="M2 4h12M2 8h12M2 12h12" />
      <circle cx="5" cy="4" r="1" fill="currentColor" />
      <circle cx="10" cy="8" r="1" fill="currentColor" />
      <circle cx="7" cy="12" r="1" fill="currentColor" />
    </svg>
  );
}

export function FeedIcon() {
  return (
    <svg {...common}>
      <path d="M3 2.5v11h11" />
      <path d="M5.5 10.5l2.5-3 2 2 3.5-4.5" />
    </svg>
  );
}

export function ChartsIcon() {
  return (
    <svg {...common}>
      <path d="M2 14h12" />
      <path d="M4 12V8M7 12V4M10 12V6.5M13 12V9.5" />
    </svg>
  );
}

export function CheckpointsIcon() {
  return (
    <svg {...common}>
      <path d="M2 8h12" />
      <path d="M4 5.5v5M8 4v8M12 6v4" />
    </svg>
  );
}
