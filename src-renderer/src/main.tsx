// Global styles first: component styles that follow may refine them.
import './styles/base.css';
import './ui/ui.css';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { connectToHost } from './client/connect';
import { HostProvider } from './client/host-context';
import { JobsProvider } from './features/jobs/use-jobs';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 2000,
      // Errors from the host are answers (not found, invalid input); only a lost link is worth retrying.
      retry: (failures, error) => error.code === 'unavailable' && failures < 3,
      refetchOnWindowFocus: false,
    },
  },
});

const host = connectToHost();
const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');

createRoot(root).render(
  <StrictMode>
    <HostProvider connection={host}>
      <QueryClientProvider client={queryClient}>
        <JobsProvider>
          <App />
        </JobsProvider>
      </QueryClientProvider>
    </HostProvider>
  </StrictMode>,
);
