import { useEffect, useRef } from 'react';

/**
 * A popover or side panel that Escape closes, and that gives focus back to what was
 * focused when it opened (its button) when it closes, however it closes. Native
 * <dialog>s (ui/Dialog) get both from the browser; this is for the rest.
 */
export function useDismiss(open: boolean, close: () => void): void {
  const closeRef = useRef(close);
  closeRef.current = close;
  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement;
    const onKey = (event: KeyboardEvent) => {
      // A native dialog open above handles its own Escape.
      if (event.key !== 'Escape' || event.defaultPrevented || document.querySelector('dialog[open]')) return;
      event.preventDefault();
      closeRef.current();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      // Back to the opener, unless the user already moved on to something else still on screen.
      const focusLost = document.activeElement === null || document.activeElement === document.body || !document.activeElement.isConnected;
      if (opener instanceof HTMLElement && opener.isConnected && focusLost) opener.focus();
    };
  }, [open]);
}
