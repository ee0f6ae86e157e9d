// The app: Vue, Element Plus (its locale follows ours), vue-i18n, the router.
import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'

createApp(App).use(i18n).use(ElementPlus).use(router).mount('#app')
