/** Personal data protection: the key store and cipher every slice uses, and the data-subject routes. */
import { Global, Module } from '@nestjs/common';
import { AccessReportQuery } from './access-report.query.js';
import { SubjectCommands } from './commands/subject.commands.js';
import { PersonalDataCipher } from './personal-data.cipher.js';
import { SubjectKeyStore } from './subject-key.store.js';
import { SubjectsHttpController } from './subjects.http.controller.js';

@Global()
@Module({
  controllers: [SubjectsHttpController],
  providers: [SubjectKeyStore, PersonalDataCipher, AccessReportQuery, SubjectCommands],
  exports: [PersonalDataCipher],
})
export class PrivacyModule {}
