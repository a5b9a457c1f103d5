/** The auditor's slice: its routes and the recorder of their reads. */
import { Module } from '@nestjs/common';
import { AccessRecorder } from './access-recorder.js';
import { AuditHttpController } from './audit.http.controller.js';

@Module({ controllers: [AuditHttpController], providers: [AccessRecorder] })
export class AuditModule {}
