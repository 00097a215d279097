import type { ComponentType, ReactNode } from 'react';
import type { Route } from './routes';

/** A screen as the shell knows it: its route, its title and sidebar entry, and what it renders. */
export interface Feature {
  route: Route;
  title: string;
  /** The sidebar icon; a feature without one has no sidebar entry (it is reached from another screen). */
  icon?: ReactNode;
  /** The sidebar entry lit while this screen shows, when it has none of its own. */
  navParent?: Route;
  Screen: ComponentType;
}
