import { mount } from 'svelte';
import App from './App.svelte';
import { SessionsState } from './lib/sessions.svelte.js';
import { createClient } from './lib/transport.js';

mount(App, { target: document.getElementById('app')!, props: { state: new SessionsState(createClient()) } });
